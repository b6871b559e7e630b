/**
 * iptables: read dumps (`iptables-save`, `iptables -S`), walk packets through
 * netfilter hooks, print rule sets back. Pure: no I/O.
 */
export type * from './types.js';
export { parseIptablesSave, type ParseResult, type ParseOptions } from './parse.js';
export { ParseCache, type ParseCacheOptions } from './parse-cache.js';
export { forEachParsedRule, ruleCount } from './parsed-chain.js';
export { parseIptablesListing } from './listing.js';
export { walkHook, walkChain, HOOK_TABLES, MAX_BRANCHES, MAX_DEPTH, MAX_NEAR_MISSES } from './walk.js';
export { serializeRuleset, formatRule, rulesetShape, type SerializeOptions } from './serialize.js';
export { BUILTIN_CHAINS, isTableName } from './builder.js';
export { tokenize, saveString, quoteIfNeeded, type Token } from './tokenize.js';
export { MATCH_MODULES, compileMatch } from './match.js';
