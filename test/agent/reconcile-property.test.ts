import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig, readNatTable, reconcile, uninstallPayload, DEFAULT_FLAGS, type AgentSpec, type PortInterval } from '../../src/k8s/masq-agent/index.js';
import { formatIpv4 } from '../../src/net/ipv4.js';
import { maskOf } from '../../src/net/prefix.js';
import { FakeNat } from './fakes.js';

const anyCidr = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 32 }))
  .map(([a, len]) => `${formatIpv4((a & maskOf(len)) >>> 0)}/${len}`);
/** Often the same few blocks, so lists repeat entries. */
const cidr = fc.oneof(anyCidr, fc.constantFrom('10.244.0.0/16', '10.0.0.0/16', '172.20.0.0/16'));
const spec: fc.Arbitrary<AgentSpec> = fc.record({
  nonMasqueradeCIDRs: fc.array(cidr, { maxLength: 5 }),
  masqueradeCIDRs: fc.array(cidr, { maxLength: 3 }),
  podCIDRs: fc.array(cidr, { maxLength: 3 }),
  masqLinkLocal: fc.boolean(),
  randomFully: fc.boolean(),
  toPorts: fc.constantFrom<PortInterval[][]>([], [{ first: 1024, last: 65535 }], [{ first: 1024, last: 29999 }, { first: 32768, last: 65535 }]),
}).map((r) => ({
  config: { ...defaultConfig(), nonMasqueradeCIDRs: r.nonMasqueradeCIDRs, masqueradeCIDRs: r.masqueradeCIDRs, podCIDRs: r.podCIDRs, masqLinkLocal: r.masqLinkLocal },
  flags: { ...DEFAULT_FLAGS, randomFully: r.randomFully, toPorts: [...r.toPorts] },
}));
const OTHER = ['-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE', '-A PREROUTING -d 10.96.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.244.0.2:53'];

describe('reconcile (property)', () => {
  it('after its payload is applied, reconcile has nothing to do; other rules are never named; uninstall restores the start', async () => {
    await fc.assert(fc.asyncProperty(spec, spec, async (a, b) => {
      const nat = new FakeNat(OTHER);
      const start = await nat.saveNat();
      for (const s of [a, b]) {
        const r = reconcile(s, readNatTable(await nat.saveNat()));
        if (r.payload) await nat.restore(r.payload);
        expect(reconcile(s, readNatTable(await nat.saveNat())).payload).toBeUndefined();
        for (const l of r.payload?.split('\n') ?? []) expect(l.startsWith('-') ? / PODPATH-MASQ-AGENT( |$)/.test(l) : true).toBe(true);
      }
      await nat.restore(uninstallPayload(DEFAULT_FLAGS.masqChain, readNatTable(await nat.saveNat()))!);
      expect(await nat.saveNat()).toBe(start);
    }), { numRuns: 60 });
  });
});
