/**
 * MASQUERADE candidates never aim at pod addresses and carry a `! -d <pod
 * CIDR>` guard, so pod-to-pod traffic is never translated whatever block they
 * cover; the kernel accepts the fragments as written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseEstateYaml } from '../../src/ingest/estate-yaml.js';
import { candidatesFor } from '../../src/fix/candidates.js';
import { openNetns, oracleUnavailable, type Netns } from '../linux/iptables/netns.js';
import { fixture } from '../helpers/estates.js';

const e = parseEstateYaml(readFileSync(fixture('peering-clean'), 'utf8'), 'peering-clean.estate.yaml');
const finding = {
  id: 'PP101', key: 'PP101|x', title: 'x',
  facts: { podCidr: '100.96.0.0/16', nodeVpcBlocks: ['172.31.0.0/16'], routedBlocks: ['100.0.0.0/8', '100.96.4.0/24', '192.168.0.0/16'], hosts: ['100.96.3.3', '192.168.5.10'] },
};
const masq = candidatesFor(e, finding).filter((c) => c.kind.startsWith('masquerade'));
const lines = masq.flatMap((c) => c.artifacts.flatMap((a) => a.text.split('\n'))).filter((l) => l.includes('MASQUERADE'));

describe('MASQUERADE candidates', () => {
  it('leave out targets inside the pod address space (a pod host, a pod block)', () => {
    expect(masq.map((c) => c.title)).toEqual(['MASQUERADE pod traffic to 192.168.5.10 on every node', 'MASQUERADE pod traffic to 100.0.0.0/8, 192.168.0.0/16 on every node']);
  });

  it('guard every rule with ! -d <pod CIDR>, the target as an address range (a block covering the pod CIDR included)', () => {
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^-I POSTROUTING 1 ! -d 100\.96\.0\.0\/16 -m iprange --dst-range \S+ -o eth0 /);
    expect(lines[1]).toContain('--dst-range 100.0.0.0-100.255.255.255');
  });

  const why = oracleUnavailable();
  let ns: Netns | undefined;
  afterAll(() => ns?.close());
  it.skipIf(why !== undefined)(`are accepted by iptables-restore --noflush as written${why ? ` (skipped: ${why})` : ''}`, () => {
    ns = openNetns();
    for (const c of masq) for (const a of c.artifacts.filter((x) => x.kind === 'iptables-restore')) {
      const r = ns.restore(a.text, { noflush: true });
      expect(r.ok, r.stderr).toBe(true);
    }
    const saved = ns.save();
    expect(saved.match(/-A POSTROUTING ! -d 100\.96\.0\.0\/16 -o eth0 -m iprange --dst-range \S+ -m comment --comment "podpath: masquerade pod traffic to [^"]+, never pod-to-pod" -j MASQUERADE/g)).toHaveLength(3);
  });
});
