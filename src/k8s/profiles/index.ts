/** CNI / masquerade profiles: derive a node's nat rules when no dump exists. */
export type { DerivedRules, MasqProfile, ProfileKind } from './types.js';
export { deriveNatRules } from './derive.js';
export { parseIpMasqAgentConfig, awsVpcCniFromEnv } from './config.js';
