import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGen } from '../../src/cli/commands/gen.js';
import { loadSnapshot } from '../../src/ingest/snapshot/load.js';
import type { Estate } from '../../src/model/estate.js';
import { doctorEdges, doctorWorld } from '../../src/doctor/doctor.js';
import { tracePairs } from '../../src/doctor/pairs.js';
import { applyChange, IncrementalCheck, type EstateChange } from '../../src/doctor/incremental.js';
import type { Node } from '../../src/model/k8s.js';
import type { PairResult } from '../../src/doctor/types.js';
import type { Hop } from '../../src/trace/types.js';

// A small generated estate (peerings, a TGW, NACLs, kube-proxy dumps); the random changes break it.
const dir = mkdtempSync(join(tmpdir(), 'podpath-incr-'));
runGen({ vpcs: 10, clusters: 3, nodesPerCluster: 2, services: 3, endpointsPerService: 2, seed: 2, faults: false, out: join(dir, 'e') });
const base = loadSnapshot(join(dir, 'e'));
rmSync(dir, { recursive: true, force: true });
// With the seeded faults (they need 12+ peered VPCs): drops at peerings with the faults stacked behind them,
// probe ports retried past a NACL or security group, ephemeral-port traces failing at a NACL.
const faultDir = mkdtempSync(join(tmpdir(), 'podpath-incr-faults-'));
runGen({ vpcs: 60, clusters: 4, nodesPerCluster: 2, services: 3, endpointsPerService: 2, seed: 2, faults: true, out: join(faultDir, 'e') });
const faulty = loadSnapshot(join(faultDir, 'e'));
rmSync(faultDir, { recursive: true, force: true });

/** What doctor traces on the estate, from scratch. */
function full(e: Estate): PairResult[] {
  const { world, sources, destinations } = doctorWorld(e);
  return tracePairs(world, sources, destinations, doctorEdges(world));
}

/** The first pair that differs (its key and both JSON forms), or undefined when the lists are equal. */
function firstDifference(got: PairResult[], want: PairResult[]): string | undefined {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const [a, b] = [JSON.stringify(got[i]), JSON.stringify(want[i])];
    if (a !== b) return `pair ${i} (${got[i]?.key ?? '-'} / ${want[i]?.key ?? '-'}): verdicts ${got[i]?.verdict} / ${want[i]?.verdict}`;
  }
  return undefined;
}

type IptablesInsert = Node['iptablesInserts'][number];
const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;

/** A change valid on `e`, chosen by the numbers (existing prefixes mostly, sometimes a new one). */
function changeOf(e: Estate, [kind, a, b, c]: [number, number, number, number]): EstateChange {
  const cidrs = [...e.routeTables.flatMap((t) => t.routes.map((r) => r.destination)), ...e.subnets.map((s) => s.cidr), '198.51.100.0/24'];
  const cidr = pick(cidrs, b);
  const groupNodes = e.nodes.filter((n) => n.name.startsWith(pick(['c0-', 'c1-', 'c2-'], a)));
  switch (kind % 8) {
    case 0: {
      const t = pick(e.routeTables, a);
      const targets = [...new Set(e.routeTables.flatMap((x) => x.routes.map((r) => r.target)).filter((x) => x !== 'local' && !x.startsWith('i-')))];
      return { kind: 'route', table: t.id, op: 'add', route: { destination: cidr, target: pick(targets, c) } };
    }
    case 1: {
      const t = pick(e.routeTables.filter((x) => x.routes.length > 0), a);
      return { kind: 'route', table: t.id, op: 'remove', route: pick(t.routes, c) };
    }
    case 2: {
      const sg = { kind: 'sg-rule' as const, group: pick(e.securityGroups, a).id, direction: pick(['ingress', 'egress'] as const, c), op: 'add' as const };
      switch (b % 5) {
        // Everything allowed, inserted first: flips what the group dropped, and shifts the index of every rule it cited.
        case 1: return { ...sg, rule: { proto: 'all', cidr: '0.0.0.0/0' }, at: 0 };
        // A rule no traced flow matches, first: no decision flips, but the cited indexes shift.
        case 2: return { ...sg, rule: { proto: 'tcp', ports: { from: 1, to: 1 }, cidr: '0.0.0.0/0' }, at: 0 };
        // The same rule last: nothing a hop records changes.
        case 3: return { ...sg, rule: { proto: 'tcp', ports: { from: 1, to: 1 }, cidr: '0.0.0.0/0' } };
        // A group reference: judged against the interface that sent the packet (and across VPCs by the sender's route).
        case 4: return { ...sg, rule: { proto: 'all', sg: pick(e.securityGroups, c + 1).id } };
        default: return { ...sg, rule: { proto: 'tcp', ports: { from: 443, to: 443 }, cidr } };
      }
    }
    case 3: {
      const g = pick(e.securityGroups.filter((x) => x.ingress.length > 0), a);
      return { kind: 'sg-rule', group: g.id, direction: 'ingress', op: 'remove', rule: pick(g.ingress, c) };
    }
    case 4: {
      const acl = { kind: 'nacl-rule' as const, acl: pick(e.networkAcls, a).id, direction: pick(['ingress', 'egress'] as const, c), op: 'add' as const };
      // A low number decides before the rules there (flips when it matches); a high one after them (decides nothing new).
      // 0.0.0.0/0 is named by NACL rules already (the classes stay); a port range makes the edge ports apply.
      switch (b % 4) {
        case 2: return { ...acl, rule: { rule: 1 + (c % 50), proto: 'all', cidr: '0.0.0.0/0', action: 'deny' } };
        case 3: return { ...acl, rule: { rule: 32000 + (c % 700), proto: 'all', cidr: '0.0.0.0/0', action: 'deny' } };
        // A low number that matches no TCP or UDP flow: the hops it could decide before are decided again, and most stand.
        case 0: return { ...acl, rule: { rule: 1 + (c % 50), proto: 'icmp', cidr: '0.0.0.0/0', action: 'deny' } };
        default: return { ...acl, rule: { rule: 1 + (c % 50), proto: c % 3 === 0 ? 'tcp' : 'all', ...(c % 3 === 0 ? { ports: { from: 1024, to: 65535 } } : {}), cidr, action: pick(['allow', 'deny'] as const, b) } };
      }
    }
    case 5: {
      const acl = pick(e.networkAcls.filter((x) => x.ingress.length > 0), a);
      return { kind: 'nacl-rule', acl: acl.id, direction: 'ingress', op: 'remove', rule: pick(acl.ingress, c) };
    }
    default: {
      // A whole node group (its classes stay whole), or now and then one node of it (its classes split).
      const nodes = c % 5 === 0 ? [groupNodes[0]!.name] : groupNodes.map((n) => n.name);
      // nat rules name the pod CIDR (already a nat-rule prefix) or a prefix new to nat rules (classes may change).
      const natPrefix = b % 3 === 0 ? cidr : e.cluster!.podCidr!;
      return { kind: 'iptables', nodes, insert: insertOf(e, cidr, natPrefix, c, b) };
    }
  }
}

/** Where a nat OUTPUT rule of the tests sends the node's own packets (TEST-NET-1). */
const DNAT_TO = '192.0.2.80';

/**
 * An iptables insert chosen by the numbers: a hook's own chain (met only by walks of that hook) or a user chain
 * (met through jumps); rules that match some traced packets and not others, by prefixes inside and outside the
 * pod CIDR, protocols and ports; rules with one match that fails for most packets (near misses: their hops change)
 * and with several; matches the hop records cannot answer (interfaces, conntrack state); filter OUTPUT, which sees
 * the packet after nat OUTPUT; first in the chain or last.
 */
function insertOf(e: Estate, cidr: string, natPrefix: string, c: number, b: number): IptablesInsert {
  const pods = e.cluster!.podCidr!;
  const position = b % 2 === 0 ? 1 : 1000;
  const at = (table: IptablesInsert['table'], chain: string, rule: string): IptablesInsert => ({ table, chain, rule, label: 'test-insert', position });
  switch (c % 16) {
    case 0: return at('filter', 'FORWARD', `-d ${cidr} -j DROP`);
    case 1: return at('nat', 'POSTROUTING', `-s ${natPrefix} -o eth0 -j RETURN`);
    case 2: return at('nat', 'KUBE-SERVICES', `-s ${natPrefix} -j RETURN`);
    case 3: return at('filter', 'FORWARD', `-d ${pods} -j ACCEPT`);
    case 4: return at('filter', 'FORWARD', `-s ${cidr} -d ${pods} -p tcp -j REJECT`);
    case 5: return at('filter', 'FORWARD', `-s ${cidr} -p udp -m udp --dport 53 -j DROP`);
    case 6: return at('filter', 'FORWARD', `-o eth0 -d ${cidr} -p tcp -j DROP`);
    case 7: return at('filter', 'FORWARD', `-m conntrack --ctstate ESTABLISHED -d ${cidr} -p tcp -j DROP`);
    case 8: return at('filter', 'OUTPUT', `-d ${cidr} -p tcp -m tcp ! --dport 1 -j DROP`);
    case 9: return at('nat', 'OUTPUT', `-d ${pods} -p tcp -m tcp --dport 80:9000 -j RETURN`);
    case 10: return at('filter', 'INPUT', `-s ${cidr} -p tcp -m tcp --dport 1:65000 -j DROP`);
    case 11: return at('mangle', 'PREROUTING', `-s ${cidr} ! -d ${pods} -j ACCEPT`);
    // nat OUTPUT sends the node's own packets to the pods elsewhere; filter OUTPUT sees them there (nat runs first).
    case 13: return at('nat', 'OUTPUT', `-d ${pods} -p tcp -j DNAT --to-destination ${DNAT_TO}:8080`);
    case 14: return at('filter', 'OUTPUT', `-d ${DNAT_TO}/32 -p tcp -m tcp --dport 8080 -j REJECT`);
    // A target that decides nothing: never a near miss; it changes only the hops whose packet it matches (a note).
    case 15: return at('filter', 'FORWARD', `-d ${cidr} -j LOG --log-prefix test`);
    default: return at('filter', 'FORWARD', `! -s ${pods} -d ${cidr} -p udp -j DROP`);
  }
}

/** Counts per change kind over random change sequences, each change checked against doctor from scratch. */
function randomSequences(start: Estate, numRuns: number, seed: number, changeFor = changeOf) {
  const incremental = new Map<string, number>();
  // Per change kind: pairs kept after re-deciding their hops, and pairs traced again.
  const kept = new Map<string, number>();
  const again = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  let retraced = 0;
  let total = 0;
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }), (steps) => {
      const check = new IncrementalCheck(start);
      let ref = start;
      for (const step of steps) {
        const change = changeFor(ref, step);
        ref = applyChange(ref, change);
        const r = check.apply(change);
        if (r.mode === 'incremental') {
          add(incremental, change.kind, 1);
          add(kept, change.kind, r.redecided);
          add(again, change.kind, r.retraced);
          retraced += r.retraced;
          total += check.pairs().length;
        }
        expect(firstDifference(check.pairs(), full(ref)), JSON.stringify(change)).toBeUndefined();
      }
    }),
    { numRuns, seed },
  );
  return { incremental, kept, again, retraced, total };
}

describe('incremental re-check', () => {
  it('gives what doctor traces from scratch, after every change of random sequences', () => {
    const { incremental, kept, again, retraced, total } = randomSequences(base, 24, 15);
    // The point of it: most changes are re-checked incrementally, re-tracing a fraction of the pairs.
    for (const kind of ['route', 'sg-rule', 'nacl-rule', 'iptables']) expect(incremental.get(kind), kind).toBeGreaterThan(1);
    // Both branches ran: pairs kept after re-deciding their hops, and pairs whose hops decided differently, traced again.
    for (const kind of ['route', 'sg-rule', 'nacl-rule', 'iptables']) {
      expect(kept.get(kind), `${kind} kept`).toBeGreaterThan(0);
      expect(again.get(kind), `${kind} re-traced`).toBeGreaterThan(0);
    }
    expect(retraced).toBeLessThan(total / 2);
  }, 240_000);

  it('gives what doctor traces from scratch after random sequences of iptables inserts, keeping some pairs and tracing others again', () => {
    const iptablesOnly = (e: Estate, [a, b, c]: [number, number, number, number]) => changeOf(e, [6, a, b, c]);
    const { incremental, kept, again } = randomSequences(base, 16, 17, iptablesOnly);
    expect(incremental.get('iptables')).toBeGreaterThan(8);
    expect(kept.get('iptables')).toBeGreaterThan(0);
    expect(again.get('iptables')).toBeGreaterThan(0);
  }, 240_000);

  it('gives what doctor traces from scratch on an estate with faults, after every change of random sequences', () => {
    const { kept, again } = randomSequences(faulty, 6, 16);
    expect([...kept.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect([...again.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 240_000);

  /** An estate security group one of whose numbered rules a traced ingress hop cites, and that rule's index. */
  function citedIngressRule(): { group: string; index: number } {
    for (const p of full(base)) for (const t of p.traces) for (const h of [...t.forward, ...(t.reply ?? [])]) {
      const m = h.kind === 'security-group' && h.direction === 'ingress' && h.decision === 'accept' ? /^(sg-[\w-]+)#ingress\[(\d+)\]$/.exec(h.rule?.ref ?? '') : null;
      // Groups of the estate, not of doctor's probe hosts (sg-podpath-*, added to doctor's own copy).
      if (m && base.securityGroups.some((g) => g.id === m[1])) return { group: m[1]!, index: Number(m[2]) };
    }
    throw new Error('no security group rule is cited by the traces');
  }
  const neverMatches = { proto: 'tcp' as const, ports: { from: 1, to: 1 }, cidr: '0.0.0.0/0' };

  it('keeps every pair whose hops decide the same after the change, tracing none again', () => {
    const { group } = citedIngressRule();
    const check = new IncrementalCheck(base);
    const change: EstateChange = { kind: 'sg-rule', group, direction: 'ingress', op: 'add', rule: neverMatches };
    const r = check.apply(change);
    expect(r).toMatchObject({ mode: 'incremental', retraced: 0 });
    expect(r.redecided).toBeGreaterThan(0);
    expect(firstDifference(check.pairs(), full(applyChange(base, change)))).toBeUndefined();
  });

  it('traces a pair again when a rule added before the one its hop cites shifts that rule\'s index', () => {
    const { group, index } = citedIngressRule();
    const check = new IncrementalCheck(base);
    const change: EstateChange = { kind: 'sg-rule', group, direction: 'ingress', op: 'add', rule: neverMatches, at: 0 };
    const r = check.apply(change);
    expect(r.mode).toBe('incremental');
    expect(r.retraced).toBeGreaterThan(0);
    const refs = check.pairs().flatMap((p) => p.traces.flatMap((t) => [...t.forward, ...(t.reply ?? [])].map((h) => h.rule?.ref)));
    expect(refs).toContain(`${group}#ingress[${index + 1}]`);
    expect(refs).not.toContain(`${group}#ingress[0]`);
    expect(firstDifference(check.pairs(), full(applyChange(base, change)))).toBeUndefined();
  });

  it('does not change the input estate', () => {
    const before = JSON.stringify(base);
    const check = new IncrementalCheck(base);
    check.apply(changeOf(base, [2, 0, 0, 0]));
    expect(JSON.stringify(base)).toBe(before);
  });

  it('names why it recomputes everything when classes may change', () => {
    const check = new IncrementalCheck(base);
    const t = base.routeTables[0]!;
    const r = check.apply({ kind: 'route', table: t.id, op: 'add', route: { destination: '198.51.100.0/24', target: 'blackhole' } });
    expect(r.mode).toBe('full');
    expect(r.why).toMatch(/198\.51\.100\.0\/24 \(route\) is newly mentioned/);
  });
});

describe('incremental re-check of an iptables insert, by what the rule can match', () => {
  const group = base.nodes.filter((n) => n.name.startsWith('c0-')).map((n) => n.name);
  const forward = (rule: string): EstateChange => ({ kind: 'iptables', nodes: group, insert: { table: 'filter', chain: 'FORWARD', rule, label: 'test', position: 1 } });
  /** The pairs some trace of which walks filter FORWARD on the group's nodes. */
  const walking = (pairs: PairResult[]) => pairs.filter((p) => p.traces.some((t) => [...t.forward, ...(t.reply ?? [])]
    .some((h) => h.kind === 'node-netfilter' && h.hook === 'FORWARD' && group.includes(h.at))));
  const nearMisses = (pairs: PairResult[]) => pairs.flatMap((p) => p.traces.flatMap((t) => [...t.forward, ...(t.reply ?? [])]))
    .flatMap((h) => (h.kind === 'node-netfilter' ? h.nearMisses : [])).filter((m) => m.rule.ref.includes('test'));

  /** One insert applied incrementally, and the full result of the changed estate. */
  const both = (change: EstateChange) => {
    const check = new IncrementalCheck(base);
    return { check, r: check.apply(change), after: full(applyChange(base, change)) };
  };

  it('keeps the pairs that walked the hook when two of the rule\'s matches fail for every packet there', () => {
    const { check, r, after } = both(forward('-s 198.51.100.0/24 -d 198.51.100.0/24 -j DROP'));
    expect(walking(after).length).toBeGreaterThan(0);
    expect(r).toMatchObject({ mode: 'incremental', retraced: 0 });
    expect(r.redecided).toBeGreaterThanOrEqual(walking(after).length);
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
  });

  it('traces a pair again when the rule it does not match fails by one match only: the walk reports it as a near miss', () => {
    const { check, r, after } = both(forward('-d 198.51.100.0/24 -j DROP'));
    expect(nearMisses(after).length).toBeGreaterThan(0);
    expect(r.retraced).toBe(walking(after).length);
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
  });

  it('keeps the pairs that walked the hook when the rule fails by one match but decides nothing (-j LOG is never a near miss)', () => {
    const { check, r, after } = both(forward('-d 198.51.100.0/24 -j LOG'));
    expect(walking(after).length).toBeGreaterThan(0);
    expect(r).toMatchObject({ mode: 'incremental', retraced: 0 });
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
  });

  it('judges a filter OUTPUT rule by the packet nat OUTPUT translated, not the one the node sent', () => {
    const dnat: EstateChange = { kind: 'iptables', nodes: group, insert: { table: 'nat', chain: 'OUTPUT', rule: `-d ${base.cluster!.podCidr!} -p tcp -j DNAT --to-destination ${DNAT_TO}:8080`, label: 'test-dnat', position: 1 } };
    // Two matches fail for the packet the node sends (to a pod, port 443), none for the one nat OUTPUT made of it.
    const reject: EstateChange = { kind: 'iptables', nodes: group, insert: { table: 'filter', chain: 'OUTPUT', rule: `-d ${DNAT_TO}/32 -p tcp -m tcp --dport 8080 -j REJECT`, label: 'test', position: 1 } };
    const check = new IncrementalCheck(base);
    expect(check.apply(dnat).mode).toBe('incremental');
    const r = check.apply(reject);
    expect(r.mode).toBe('incremental');
    const after = full(applyChange(applyChange(base, dnat), reject));
    expect(after.filter((p) => p.verdict === 'rejected').length).toBeGreaterThan(0);
    expect(r.retraced).toBeGreaterThan(0);
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
  });

  it('traces again every pair that walked the hook when the rule reads conntrack state', () => {
    // Fails by one match for some packets (a near miss) and by two for others: read wrongly, a hop changed unseen.
    const change = forward('-m conntrack --ctstate ESTABLISHED -d 198.51.100.0/24 -j DROP');
    const check = new IncrementalCheck(base);
    const r = check.apply(change);
    const after = full(applyChange(base, change));
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
    expect(r.retraced).toBe(walking(after).length);
  });

  it.each([
    // The device routing chose (the node-route hop before the netfilter hop) decides -o: by one match for some packets, by two for others.
    ['the device routing chose', '-o eth0 -d 198.51.100.0/24 -j DROP', true],
    ['a device no packet leaves by', '-o tun9 -p udp -j DROP', true],
    // Pods' own traffic leaves by the bridge: read as eth0, a UDP packet into a pod would look two matches short, a near miss unseen.
    ['the bridge pods sit behind', '-o cbr0 -p tcp -j DROP', false],
  ] as const)('judges a rule that reads the out interface by %s, and answers as a full check', (_what, rule, someKept) => {
    const change = forward(rule);
    const check = new IncrementalCheck(base);
    const r = check.apply(change);
    const after = full(applyChange(base, change));
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
    if (someKept) expect(r.retraced).toBeLessThan(walking(after).length);
  });
});

describe('incremental re-check past a drop at a peering', () => {
  // Among the seeded faults: pods reaching a data VPC over a peering untranslated (dropped there);
  // doctor walks on past the drop and names what would stop the flow next.
  it('traces the pair again when the security group its stacked fault names changes', () => {
    const before = full(faulty);
    const named = before.flatMap((p) => p.traces).filter((t) => t.forward.at(-1)?.kind === 'peering' && t.forward.at(-1)?.decision === 'drop')
      .flatMap((t) => t.contributing.map((c) => ('awsId' in c.rule.at ? c.rule.at.awsId : '')))
      .find((id) => faulty.securityGroups.some((g) => g.id === id));
    expect(named, 'a stacked fault naming a security group').toBeDefined();
    const check = new IncrementalCheck(faulty);
    // Admitting everything moves the stacked fault further along (the reply's route), without touching any kept hop.
    const change: EstateChange = { kind: 'sg-rule', group: named!, direction: 'ingress', op: 'add', rule: { proto: 'all', cidr: '0.0.0.0/0' } };
    expect(check.apply(change).mode).toBe('incremental');
    expect(firstDifference(check.pairs(), full(applyChange(faulty, change)))).toBeUndefined();
  });
});

describe('incremental re-check of pairs doctor traced more than it kept', () => {
  it('traces a failed probe pair again when the security group that stopped it admits another port', () => {
    // Doctor retries a probe stopped by a NACL or security group on the ports its allow rules name, keeping one port's traces.
    const before = full(faulty);
    const stopped = before.find((p) => p.dst.startsWith('pods:') && p.traces[0]!.forward.at(-1)?.kind === 'security-group' && p.traces[0]!.forward.at(-1)?.decision === 'drop');
    expect(stopped, 'a pod pair stopped by a security group').toBeDefined();
    const hop = stopped!.traces[0]!.forward.at(-1)! as Extract<Hop, { kind: 'security-group' }>;
    const check = new IncrementalCheck(faulty);
    // The probe port stays refused (its hop decides the same); the new port is tried and delivered.
    const change: EstateChange = { kind: 'sg-rule', group: hop.groups[0]!, direction: 'ingress', op: 'add', rule: { proto: 'tcp', ports: { from: 8080, to: 8080 }, cidr: faulty.cluster!.podCidr! } };
    expect(check.apply(change).mode).toBe('incremental');
    const after = full(applyChange(faulty, change));
    expect(after.find((p) => p.key === stopped!.key)?.verdict).toBe('delivered');
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
  });

  // Doctor traces the ends of the ephemeral port range too across a NACL with port rules, keeping only the failures.
  it.each([
    ['a NACL whose port rules already fail one edge (seeded fault)', faulty, (e: Estate) => e.networkAcls.find((a) => a.egress.some((r) => r.ports))],
    ['a NACL with no port rules yet', base, (e: Estate) => {
      const crossed = new Set(full(e).flatMap((p) => p.traces).filter((t) => t.verdict === 'delivered').flatMap((t) => t.reply ?? []).flatMap((h) => (h.kind === 'nacl' ? [h.acl] : [])));
      return e.networkAcls.find((a) => crossed.has(a.id) && a.egress.every((r) => !r.ports));
    }],
  ])('traces a pair again when a change to %s stops only an ephemeral-port reply', (_what, estate, pickAcl) => {
    const acl = pickAcl(estate);
    expect(acl, 'a NACL replies cross').toBeDefined();
    const check = new IncrementalCheck(estate);
    // Replies to 32768 only: the representative flow's reply (to 40000) passes as before, the edge trace's does not.
    const change: EstateChange = { kind: 'nacl-rule', acl: acl!.id, direction: 'egress', op: 'add', rule: { rule: 1, proto: 'tcp', ports: { from: 32768, to: 32768 }, cidr: '0.0.0.0/0', action: 'deny' } };
    expect(check.apply(change).mode).toBe('incremental');
    const after = full(applyChange(estate, change));
    expect(after.some((p) => p.traces.some((t) => t.flow.sport === 32768))).toBe(true);
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
  });

  it('looks again at a pair after a change only a trace it did not keep met (a probe on another port)', () => {
    // The source subnet's NACL drops the probe port and admits another, so doctor tries that one; the destination's
    // NACL drops it inbound, so that probe fails too and is not kept: the kept trace never left the source subnet.
    const pair = full(base).find((p) => p.src.startsWith('pods:') && p.dst.startsWith('subnet:') && p.verdict === 'delivered'
      && p.traces[0]!.forward.filter((h) => h.kind === 'nacl').length === 2)!;
    expect(pair, 'a delivered pod -> subnet pair crossing two NACLs').toBeDefined();
    const [out, into] = pair.traces[0]!.forward.filter((h): h is Hop & { kind: 'nacl' } => h.kind === 'nacl');
    expect(out!.acl).not.toBe(into!.acl);
    const port = pair.traces[0]!.flow.dport!;
    const other = port === 8443 ? 8444 : 8443;
    const tcp = (rule: number, action: 'allow' | 'deny', p: number) => ({ rule, proto: 'tcp' as const, ports: { from: p, to: p }, cidr: '0.0.0.0/0', action });
    const estate = structuredClone(base);
    const aclOf = (id: string) => estate.networkAcls.find((a) => a.id === id)!;
    aclOf(out!.acl).egress.unshift(tcp(1, 'deny', port), tcp(2, 'allow', other));
    aclOf(into!.acl).ingress.unshift(tcp(1, 'deny', other));
    const before = full(estate).find((p) => p.key === pair.key)!;
    expect(before.verdict).not.toBe('delivered');
    expect(before.traces.some((t) => t.forward.some((h) => h.kind === 'nacl' && h.acl === into!.acl))).toBe(false);
    const check = new IncrementalCheck(estate);
    const change: EstateChange = { kind: 'nacl-rule', acl: into!.acl, direction: 'ingress', op: 'remove', rule: tcp(1, 'deny', other) };
    expect(check.apply(change).mode).toBe('incremental');
    const after = full(applyChange(estate, change));
    expect(after.find((p) => p.key === pair.key)!.verdict).toBe('delivered');
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
  });

  it('traces again every pair crossing a NACL that starts naming ports, even by a rule numbered after all others', () => {
    // The nodes of one group drop replies to client port 32768, which only doctor's ephemeral-port traces use,
    // and doctor traces those only across a NACL that names ports: a high-numbered port rule decides no hop,
    // yet the pairs crossing its ACL change.
    const group = base.nodes.filter((n) => n.name.startsWith('c0-')).map((n) => n.name);
    const drop = (chain: string): EstateChange => ({ kind: 'iptables', nodes: group, insert: { table: 'filter', chain, rule: '-p tcp --dport 32768 -j DROP', label: 'test', position: 1 } });
    const check = new IncrementalCheck(base);
    let ref = base;
    for (const c of [drop('FORWARD'), drop('INPUT')]) {
      ref = applyChange(ref, c);
      check.apply(c);
    }
    const crossed = new Set(full(ref).filter((p) => p.src.includes('c0-') && p.verdict === 'delivered').flatMap((p) => p.traces)
      .flatMap((t) => t.reply ?? []).flatMap((h) => (h.kind === 'nacl' ? [h.acl] : [])));
    const acls = base.networkAcls.filter((a) => crossed.has(a.id) && ![...a.ingress, ...a.egress].some((r) => r.ports));
    expect(acls.length, 'a NACL without port rules that replies to c0 cross').toBeGreaterThan(0);
    for (const a of acls) {
      const change: EstateChange = { kind: 'nacl-rule', acl: a.id, direction: 'egress', op: 'add', rule: { rule: 32000, proto: 'tcp', ports: { from: 1, to: 1 }, cidr: '0.0.0.0/0', action: 'deny' } };
      ref = applyChange(ref, change);
      expect(check.apply(change).mode).toBe('incremental');
    }
    const after = full(ref);
    expect(after.some((p) => p.traces.some((t) => t.flow.sport === 32768 && t.verdict !== 'delivered'))).toBe(true);
    expect(firstDifference(check.pairs(), after)).toBeUndefined();
  });
});
