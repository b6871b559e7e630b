import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

/**
 * Stubs the environment so that no AWS or Kubernetes credential is found
 * anywhere and no instance metadata is asked for: the SDK fails locally and
 * nothing leaves the machine. Returns a fresh home folder; undo with
 * `vi.unstubAllEnvs()`.
 */
export function withoutCredentials(): string {
  const home = mkdtempSync(join(tmpdir(), 'podpath-nocreds-'));
  for (const [k, v] of Object.entries({
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'), KUBECONFIG: join(home, 'none'),
    AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '', AWS_WEB_IDENTITY_TOKEN_FILE: '', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '', AWS_CONTAINER_CREDENTIALS_FULL_URI: '', AWS_REGION: '', AWS_DEFAULT_REGION: 'eu-west-1',
  })) vi.stubEnv(k, v);
  return home;
}
