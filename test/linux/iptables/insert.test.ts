/** insertRules: `iptables -I` on a parsed rule set, for what-ifs and proposed fixes. */
import { describe, expect, it } from 'vitest';
import { insertRules } from '../../../src/linux/iptables/insert.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import { corpus, fixture, node, pkt } from './helpers.js';

describe('insertRules', () => {
  const rs = fixture('seed-masquerade-not-10-8.iptables-save').value;
  const ctx = node({ outIface: 'eth0', ifaces: { eth0: '172.20.1.10' } });
  const rds = pkt('10.244.1.5', '10.0.18.52', 'tcp', 40000, 5432);

  it('the seed band-aid -I POSTROUTING -d 10.0.18.52/32 -o eth0 -j MASQUERADE makes pod -> RDS masqueraded', () => {
    const fixed = insertRules(rs, [{ table: 'nat', chain: 'POSTROUTING', position: 1, rule: '-d 10.0.18.52/32 -o eth0 -j MASQUERADE', label: 'fix#1' }]);
    const [h] = walkHook(fixed, 'POSTROUTING', rds, ctx, 0);
    expect(h!.packet.src).toBe(parseIpv4('172.20.1.10'));
    expect(h!.tables.at(-1)!.nat!.rule).toMatchObject({ loc: { file: 'fix#1', line: 1 }, num: 1 });
    expect(rs.tables.get('nat')!.chains.get('POSTROUTING')!.rules).toHaveLength(1); // input unchanged
  });

  it('an inserted rule may jump to a chain the rule set already has', () => {
    const kind = corpus('kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save').value;
    const fixed = insertRules(kind, [{ table: 'nat', chain: 'POSTROUTING', position: 1, rule: '-d 10.244.9.9/32 -j KIND-MASQ-AGENT', label: 'what-if' }]);
    const [h] = walkHook(fixed, 'POSTROUTING', pkt('10.244.0.7', '10.244.9.9'), node({ outIface: 'eth0' }), 0);
    expect(h!.tables.at(-1)!.matched[0]).toMatchObject({ loc: { file: 'what-if' }, target: { name: 'KIND-MASQ-AGENT' } });
    expect(fixed.tables.get('nat')!.chains.get('POSTROUTING')!.rules.map((r) => r.num)).toEqual([1, 2, 3, 4]);
  });
});
