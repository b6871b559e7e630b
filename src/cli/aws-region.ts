/**
 * The AWS region collect uses when --region is not given, in the order the
 * AWS CLI and SDKs read it (AWS SDKs and Tools Reference Guide, "AWS Region"):
 * AWS_REGION, then AWS_DEFAULT_REGION (the AWS CLI's variable), then the
 * `region` of the profile in the shared config file (AWS_CONFIG_FILE, default
 * ~/.aws/config; the profile from --profile, AWS_PROFILE, else `default`).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PodpathError } from '../model/errors.js';

/** `region` of a profile in shared config text: `[default]` or `[profile NAME]` sections. */
export function regionInConfig(text: string, profile: string): string | undefined {
  let inSection = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      const name = section[1]!.replace(/^profile\s+/, '');
      inSection = name === profile;
      continue;
    }
    const kv = /^region\s*=\s*(\S+)$/.exec(line);
    if (inSection && kv) return kv[1];
  }
  return undefined;
}

/** The region and where it came from; PodpathError (PP_USAGE) when no setting gives one. */
export function resolveRegion(given: string | undefined, profileOption: string | undefined, env: NodeJS.ProcessEnv): { region: string; from: string } {
  if (given) return { region: given, from: '--region' };
  if (env.AWS_REGION) return { region: env.AWS_REGION, from: 'AWS_REGION' };
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, from: 'AWS_DEFAULT_REGION' };
  const profile = profileOption ?? env.AWS_PROFILE ?? 'default';
  const file = env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // No config file: no region from it.
  }
  const region = regionInConfig(text, profile);
  if (region) return { region, from: `profile ${profile} in ${file}` };
  throw new PodpathError('PP_USAGE', 'no AWS region: give --region, set AWS_REGION or AWS_DEFAULT_REGION, or set region for the profile in ~/.aws/config', { hint: `profile ${profile}` });
}
