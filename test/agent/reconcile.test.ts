import { describe, expect, it } from 'vitest';
import {
  agentConflicts, defaultConfig, desiredChain, desiredJumps, readNatTable, reconcile, uninstallPayload, DEFAULT_FLAGS, type AgentSpec,
} from '../../src/k8s/masq-agent/index.js';
import { parseIptablesSave } from '../../src/linux/iptables/index.js';

const nat = (...rules: string[]) => {
  const chains = new Set(rules.map((r) => r.split(' ')[1]!).filter((c) => !['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].includes(c)));
  for (const r of rules) { const j = / -j (\S+)/.exec(r)?.[1]; if (j && /^[A-Z][A-Z0-9-]+$/.test(j) && j.includes('-')) chains.add(j); }
  return ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...[...chains].map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT', ''].join('\n');
};
const spec = (over: Partial<AgentSpec['config']> = {}, flags: Partial<AgentSpec['flags']> = {}): AgentSpec => ({
  config: { ...defaultConfig(), ...over }, flags: { ...DEFAULT_FLAGS, ...flags },
});
const SEED_RULE = '-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE';
const KUBE_POSTROUTING = [
  '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
  '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
  '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
];

/** A node's table after the payload: what iptables-restore --noflush does for the lines reconcile writes. */
function applied(before: string, s: AgentSpec): string {
  const kept = before.split('\n').filter((l) => !l.includes(`-j ${s.flags.masqChain}`) && !l.startsWith(`-A ${s.flags.masqChain} `) && l !== 'COMMIT' && l !== '' && l !== `:${s.flags.masqChain} - [0:0]`);
  return [...kept, `:${s.flags.masqChain} - [0:0]`, ...desiredJumps(s), ...desiredChain(s), 'COMMIT', ''].join('\n');
}

describe('reconcile', () => {
  it('writes the chain and its jump on a fresh node, each rule commented, only the agent chain and POSTROUTING jump named', () => {
    const s = spec({ nonMasqueradeCIDRs: ['172.20.0.0/16', '10.244.0.0/16'], masqueradeCIDRs: ['10.0.0.0/16'] });
    const r = reconcile(s, readNatTable(nat(...KUBE_POSTROUTING)));
    expect(r.payload).toBeDefined();
    const lines = r.payload!.split('\n');
    expect(lines[0]).toBe('*nat');
    expect(lines).toContain(':PODPATH-MASQ-AGENT - [0:0]');
    const rules = lines.filter((l) => l.startsWith('-'));
    expect(rules.every((l) => l.includes('-m comment --comment "podpath-agent: '))).toBe(true);
    expect(rules.every((l) => l.startsWith('-A PODPATH-MASQ-AGENT ') || (l.startsWith('-A POSTROUTING ') && l.endsWith('-j PODPATH-MASQ-AGENT')))).toBe(true);
    expect(rules.filter((l) => l.startsWith('-A PODPATH')).map((l) => l.replace(/ -m comment --comment "[^"]*"/, ''))).toEqual([
      '-A PODPATH-MASQ-AGENT -d 10.0.0.0/16 -j MASQUERADE --random-fully',
      '-A PODPATH-MASQ-AGENT -d 169.254.0.0/16 -j RETURN',
      '-A PODPATH-MASQ-AGENT -d 172.20.0.0/16 -j RETURN',
      '-A PODPATH-MASQ-AGENT -d 10.244.0.0/16 -j RETURN',
      '-A PODPATH-MASQ-AGENT -j MASQUERADE --random-fully',
    ]);
    expect(r.rulesInChain).toBe(5);
    expect(parseIptablesSave({ text: r.payload!, file: 'p' }).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('is idempotent: nothing to write once the rules are in place, in iptables-save spelling', () => {
    const s = spec({ podCIDRs: ['10.244.0.0/16', '10.245.0.0/16'] }, { toPorts: [{ first: 1024, last: 29999 }, { first: 32768, last: 65535 }] });
    const after = applied(nat(...KUBE_POSTROUTING), s)
      // iptables-save prints the probability with 11 decimals
      .replace(/--probability (\S+)/g, (_, p: string) => `--probability ${Number(p).toFixed(11)}`);
    expect(after).toContain('--probability 0.');
    const r = reconcile(s, readNatTable(after));
    expect(r.changes).toEqual([]);
    expect(r.payload).toBeUndefined();
  });

  it('rewrites only what differs: a changed config rewrites the chain, keeps the jump', () => {
    const s1 = spec({ nonMasqueradeCIDRs: ['10.0.0.0/8'] });
    const s2 = spec({ nonMasqueradeCIDRs: ['10.0.0.0/8', '192.168.0.0/16'] });
    const r = reconcile(s2, readNatTable(applied(nat(), s1)));
    expect(r.changes).toEqual(['chain PODPATH-MASQ-AGENT differs']);
    expect(r.payload).toContain('-d 192.168.0.0/16');
    expect(r.payload).not.toContain('-A POSTROUTING');
  });

  it('deletes repeated and stale jumps by their text and adds the missing one', () => {
    const s = spec({ podCIDRs: ['10.244.0.0/16'] });
    const old = '-A POSTROUTING -m comment --comment "old" -j PODPATH-MASQ-AGENT';
    const r = reconcile(s, readNatTable(nat(old, old, ...desiredChain(s))));
    expect(r.payload!.split('\n').filter((l) => l.startsWith('-D') || l.startsWith('-A POSTROUTING'))).toEqual([
      '-D POSTROUTING -m comment --comment "old" -j PODPATH-MASQ-AGENT',
      '-D POSTROUTING -m comment --comment "old" -j PODPATH-MASQ-AGENT',
      desiredJumps(s)[0],
    ]);
  });

  it('honours --masq-chain and --random-fully=false', () => {
    const r = reconcile(spec({}, { masqChain: 'MY-MASQ', randomFully: false }), readNatTable(nat()));
    expect(r.payload).toContain(':MY-MASQ - [0:0]');
    expect(r.payload).toMatch(/-A MY-MASQ -m comment --comment "[^"]*" -j MASQUERADE\n/);
    expect(r.payload).not.toContain('random-fully');
  });

  it('splits --to-ports per protocol like ip-masq-agent, then the plain rule', () => {
    const lines = desiredChain(spec({ nonMasqueradeCIDRs: [] }, { toPorts: [{ first: 1024, last: 29999 }, { first: 32768, last: 65535 }], randomFully: false }))
      .map((l) => l.replace(/ -m comment --comment "[^"]*"/, ''));
    expect(lines).toEqual([
      '-A PODPATH-MASQ-AGENT -d 169.254.0.0/16 -j RETURN',
      `-A PODPATH-MASQ-AGENT -p tcp -m statistic --mode random --probability ${28976 / (28976 + 32768)} -j MASQUERADE --to-ports 1024-29999`,
      '-A PODPATH-MASQ-AGENT -p tcp -j MASQUERADE --to-ports 32768-65535',
      `-A PODPATH-MASQ-AGENT -p udp -m statistic --mode random --probability ${28976 / (28976 + 32768)} -j MASQUERADE --to-ports 1024-29999`,
      '-A PODPATH-MASQ-AGENT -p udp -j MASQUERADE --to-ports 32768-65535',
      `-A PODPATH-MASQ-AGENT -p sctp -m statistic --mode random --probability ${28976 / (28976 + 32768)} -j MASQUERADE --to-ports 1024-29999`,
      '-A PODPATH-MASQ-AGENT -p sctp -j MASQUERADE --to-ports 32768-65535',
      '-A PODPATH-MASQ-AGENT -j MASQUERADE',
    ]);
  });

  it('uninstalls: jumps first, then the chain; nothing when absent', () => {
    const s = spec();
    expect(uninstallPayload('PODPATH-MASQ-AGENT', readNatTable(applied(nat(...KUBE_POSTROUTING), s)))!.split('\n')).toEqual([
      '*nat', desiredJumps(s)[0]!.replace('-A', '-D'), ':PODPATH-MASQ-AGENT - [0:0]', '-X PODPATH-MASQ-AGENT', 'COMMIT', '',
    ]);
    expect(uninstallPayload('PODPATH-MASQ-AGENT', readNatTable(nat(...KUBE_POSTROUTING)))).toBeUndefined();
  });
});

describe('agentConflicts', () => {
  it("reports the seed's `! -d 10.0.0.0/8` MASQUERADE ahead of the agent's jump, naming it; kube-proxy's marked masquerade is not a conflict", () => {
    const s = spec({ masqueradeCIDRs: ['10.0.0.0/16'] });
    const table = readNatTable(applied(nat(SEED_RULE, ...KUBE_POSTROUTING), s), 'nodes/node-1/iptables-save.txt');
    const c = agentConflicts(table);
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ position: 'before', action: 'masquerade', rule: { file: 'nodes/node-1/iptables-save.txt', line: 7, text: SEED_RULE } });
    expect(c[0]!.message).toContain(SEED_RULE);
  });

  it('is the same check before the agent is installed (the jump would be appended)', () => {
    expect(agentConflicts(readNatTable(nat(SEED_RULE))).map((c) => c.position)).toEqual(['before']);
  });

  it('follows a stale chain (ip-masq-agent left behind) and reports the rule inside', () => {
    const c = agentConflicts(readNatTable(nat(
      '-A POSTROUTING -m addrtype ! --dst-type LOCAL -j IP-MASQ-AGENT',
      '-A IP-MASQ-AGENT -d 10.0.0.0/8 -j RETURN',
      '-A IP-MASQ-AGENT -j MASQUERADE',
    )));
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ action: 'masquerade', via: { chain: 'IP-MASQ-AGENT', text: '-A IP-MASQ-AGENT -j MASQUERADE' } });
  });

  it('reports an ACCEPT ahead of the jump and a SNAT after it; leaves out sources outside the pod CIDRs', () => {
    const s = spec();
    const table = readNatTable(nat(
      '-A POSTROUTING -d 10.9.0.0/16 -j ACCEPT',
      '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
      ...desiredJumps(s),
      '-A POSTROUTING -o eth0 -j SNAT --to-source 172.20.1.10',
      ...desiredChain(s),
    ));
    expect(agentConflicts(table).map((c) => `${c.position} ${c.action}`)).toEqual(['before accept', 'before masquerade', 'after snat']);
    expect(agentConflicts(table, 'PODPATH-MASQ-AGENT', ['10.244.0.0/16']).map((c) => `${c.position} ${c.action}`)).toEqual(['before accept', 'after snat']);
  });

  it('reconcile reports the conflicts of the observed table', () => {
    expect(reconcile(spec(), readNatTable(nat(SEED_RULE))).conflicts).toHaveLength(1);
  });
});
