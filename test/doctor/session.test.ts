// doctorSession: checking a changed copy of the estate takes over the pairs the change cannot touch.
// Whatever it takes over, its answer must be doctor's answer on the changed copy from scratch.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { doctor, doctorSession, type DoctorSession } from '../../src/doctor/doctor.js';
import { changedElements } from '../../src/doctor/estate-diff.js';
import { applyChange, type EstateChange } from '../../src/doctor/incremental.js';
import { candidatesFor } from '../../src/fix/candidates.js';
import { withIptablesInsert, withRoute, withSourceDestCheck } from '../../src/fix/what-if.js';
import { replanOf } from '../../src/cli/commands/doctor.js';
import { fixAll } from '../../src/fix/prove.js';
import type { Estate } from '../../src/model/estate.js';
import type { DoctorResult } from '../../src/doctor/types.js';
import { seedFile } from '../helpers/estates.js';
import { generatedEstate } from '../helpers/gen-estate.js';

const generated = (): Estate => generatedEstate({ vpcs: 48, clusters: 5, nodesPerCluster: 3, services: 12, endpointsPerService: 2, seed: 5, faults: true });

/** A result as JSON (released traces are read, so traced again). */
const asJson = (r: DoctorResult) => JSON.stringify(r);

/** How many of the check's pairs are the first run's own objects (taken over, not traced again). */
const takenOver = (first: DoctorResult, checked: DoctorResult) => {
  const mine = new Set(first.pairs);
  return checked.pairs.filter((p) => mine.has(p)).length;
};

/** Checks every candidate of every finding against doctor from scratch; counts the narrowed changes, those whose classes were kept and the pairs taken over. */
function checkEveryCandidate(estate: Estate, session: DoctorSession): { narrowed: number; kept: number; taken: number } {
  const candidates = session.result.findings.flatMap((f) => candidatesFor(estate, f, replanOf(estate)));
  expect(candidates.length).toBeGreaterThan(2);
  let narrowed = 0;
  let kept = 0;
  let taken = 0;
  // What delivers() is asked on each copy: each finding's pairs (as fix's combinations ask), and single
  // pairs delivered and undelivered before (a key whose classes are gone on a copy answers false).
  const first = session.result.pairs;
  const keySets = [
    ...session.result.findings.filter((f) => f.pairs?.length).map((f) => f.pairs!.map((p) => `${p.src} -> ${p.dst}`)),
    ...first.filter((p) => p.verdict === 'delivered').slice(0, 4).map((p) => [p.key]),
    ...first.filter((p) => p.verdict !== 'delivered').slice(0, 4).map((p) => [p.key]),
    ['no-such-class -> neither'],
  ];
  let delivered = 0;
  let undelivered = 0;
  for (const c of candidates) {
    let changed: Estate;
    try {
      changed = c.apply(estate);
    } catch {
      continue; // a candidate the model cannot apply is reported so by prove; nothing to compare
    }
    // delivers() first: the check right after reuses the world it compiled, and must still be doctor's answer.
    const asked = keySets.map((keys) => session.delivers(changed, keys));
    const checked = session.check(changed);
    expect(asJson(checked), c.title).toBe(asJson(doctor(changed)));
    const verdicts = new Map(checked.pairs.map((p) => [p.key, p.verdict]));
    expect(asked, c.title).toEqual(keySets.map((keys) => keys.every((k) => verdicts.get(k) === 'delivered')));
    delivered += asked.filter(Boolean).length;
    undelivered += asked.filter((x) => !x).length;
    if (checked.sources === session.result.sources) kept++;
    if (changedElements(estate, changed)) narrowed++;
    taken += takenOver(session.result, checked);
  }
  // Both answers were given (what a session delivers depends on the candidate).
  expect(delivered).toBeGreaterThan(0);
  expect(undelivered).toBeGreaterThan(0);
  return { narrowed, kept, taken };
}

describe('doctorSession', () => {
  const estate = generated();
  const session = doctorSession(estate);

  it('its first result is doctor\'s', () => {
    expect(asJson(session.result)).toBe(asJson(doctor(estate)));
  });

  it('proves every fix candidate as doctor from scratch would, taking over the pairs they cannot touch', () => {
    const { narrowed, kept, taken } = checkEveryCandidate(estate, session);
    expect(narrowed).toBeGreaterThan(2);
    expect(taken).toBeGreaterThan(0);
    // Classes kept are the first run's own objects.
    expect(kept).toBeGreaterThan(2);
  }, 240_000);

  it('proves every fix candidate of the seed scenario as doctor from scratch would', () => {
    const seed = loadEstateFile(seedFile);
    const { narrowed, kept, taken } = checkEveryCandidate(seed, doctorSession(seed));
    expect(narrowed).toBeGreaterThan(0);
    expect(taken).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
  }, 120_000);

  it('answers as doctor from scratch on random route, security group, network ACL and iptables changes', () => {
    const tables = estate.routeTables.filter((t) => t.routes.length > 0);
    const groups = estate.securityGroups.filter((g) => g.ingress.length > 0);
    const cidrs = [...new Set([...tables.flatMap((t) => t.routes.map((r) => r.destination)), '198.51.100.0/24'])];
    const change = fc.oneof(
      fc.record({ t: fc.nat(), r: fc.nat() }).map(({ t, r }): EstateChange => {
        const table = tables[t % tables.length]!;
        return { kind: 'route', table: table.id, op: 'remove', route: table.routes[r % table.routes.length]! };
      }),
      fc.record({ g: fc.nat(), r: fc.nat() }).map(({ g, r }): EstateChange => {
        const sg = groups[g % groups.length]!;
        return { kind: 'sg-rule', group: sg.id, direction: 'ingress', op: 'remove', rule: sg.ingress[r % sg.ingress.length]! };
      }),
      fc.record({ a: fc.nat(), c: fc.nat(), deny: fc.boolean() }).map(({ a, c, deny }): EstateChange => ({
        kind: 'nacl-rule', acl: estate.networkAcls[a % estate.networkAcls.length]!.id, direction: 'ingress', op: 'add',
        rule: { rule: 1 + (c % 40), proto: 'all', cidr: cidrs[c % cidrs.length]!, action: deny ? 'deny' : 'allow' },
      })),
      fc.record({ g: fc.nat(4) }).map(({ g }): EstateChange => ({
        kind: 'iptables', nodes: estate.nodes.filter((n) => n.name.startsWith(`c${g}-`)).map((n) => n.name),
        insert: { table: 'filter', chain: 'FORWARD', position: 1, rule: `-d ${estate.cluster!.podCidr!} -j DROP`, label: 'test' },
      })),
    );
    fc.assert(fc.property(change, (c) => {
      const changed = applyChange(estate, c);
      expect(changedElements(estate, changed)?.size).toBe(c.kind === 'iptables' ? c.nodes.length : 1);
      expect(asJson(session.check(changed))).toBe(asJson(doctor(changed)));
    }), { numRuns: 12, seed: 15 });
  }, 120_000);

  it('derives the classes again when a change mentions a prefix nothing mentioned before', () => {
    const seed = loadEstateFile(seedFile);
    const s = doctorSession(seed);
    const table = seed.routeTables.find((t) => t.routes.some((r) => r.target !== 'local'))!;
    const target = table.routes.find((r) => r.target !== 'local')!.target;
    const changes = [
      withRoute(seed, table.id, '198.51.100.0/24', target),
      withIptablesInsert(seed, 'all', { table: 'nat', chain: 'POSTROUTING', rule: '-d 203.0.113.0/24 -j MASQUERADE', label: 'test' }),
    ];
    for (const changed of changes) {
      const fresh = doctor(changed);
      expect(JSON.stringify(fresh.destinations)).not.toBe(JSON.stringify(s.result.destinations));
      const checked = s.check(changed);
      expect(asJson(checked)).toBe(asJson(fresh));
      expect(checked.destinations).not.toBe(s.result.destinations);
    }
  });

  it('narrows an instance\'s source/dest check to its interface, and takes over the pairs of unchanged source classes that never met the check', () => {
    // Several clusters: a node of one moves out of its peers' group, the other clusters' classes stay.
    const seed = generated();
    const s = doctorSession(seed);
    const changed = structuredClone(seed);
    const inst = changed.instances.find((i) => seed.nodes.some((n) => n.instance === i.id))!;
    inst.sourceDestCheck = !inst.sourceDestCheck;
    expect(changedElements(seed, changed)).toEqual(new Set([`eni:eni-of-${inst.id}`]));
    const checked = s.check(changed);
    expect(asJson(checked)).toBe(asJson(doctor(changed)));
    expect(takenOver(s.result, checked)).toBeGreaterThan(0);
    // Any other change to an instance is not narrowed down: everything is checked again.
    const other = structuredClone(seed);
    other.instances[0]!.securityGroups = [...other.instances[0]!.securityGroups, seed.securityGroups.find((g) => !other.instances[0]!.securityGroups.includes(g.id))!.id];
    expect(changedElements(seed, other)).toBeUndefined();
    const again = s.check(other);
    expect(takenOver(s.result, again)).toBe(0);
    expect(asJson(again)).toBe(asJson(doctor(other)));
  });
});

describe('an iptables rule inserted on every node', () => {
  it('takes over the pairs whose netfilter hops the rule cannot see, and answers as doctor from scratch', () => {
    const estate = generated();
    const s = doctorSession(estate);
    const rds = estate.rdsInstances[0]!.address;
    const pods = estate.cluster!.podCidr!;
    // The MASQUERADE fix writes: pod to pod traffic fails two of its matches, so its hops stay as they were.
    const rules = [
      `! -d ${pods} -m iprange --dst-range ${rds}-${rds} -o eth0 -j MASQUERADE`,
      `-d ${rds}/32 -o eth0 -j MASQUERADE`,
    ];
    for (const rule of rules) {
      const changed = withIptablesInsert(estate, 'all', { table: 'nat', chain: 'POSTROUTING', rule, label: 'test' });
      const checked = s.check(changed);
      expect(asJson(checked), rule).toBe(asJson(doctor(changed)));
      expect(checked.sources, rule).toBe(s.result.sources);
      // Taken over among the pairs whose traces cross the nodes (sent by pods or nodes): the insert reached them all.
      const first = new Set(s.result.pairs);
      const viaNodes = checked.pairs.filter((p) => p.src.startsWith('pods:') || p.src.startsWith('hosts:'));
      const taken = viaNodes.filter((p) => first.has(p)).length;
      expect(taken, rule).toBeGreaterThan(0);
      expect(taken, rule).toBeLessThan(viaNodes.length);
    }
  }, 120_000);
});

describe('the DNS what-if of a check', () => {
  it('takes the first run\'s traces of a query that misses the VIP when nothing they consulted changed, and answers as doctor from scratch', () => {
    const seed = loadEstateFile(seedFile);
    const s = doctorSession(seed);
    // The queries that miss the DNAT (the what-if's traces): the finding's evidence that is not delivered.
    const evidence = (r: DoctorResult) => (r.findings.find((f) => f.id === 'PP104')?.evidence ?? []).filter((t) => t.verdict !== 'delivered');
    const first = new Set(evidence(s.result));
    expect(first.size).toBeGreaterThan(0);
    // A rule on the database's group: no query to the DNS VIP consults it.
    const untouched = applyChange(seed, { kind: 'sg-rule', group: 'sg-rds', direction: 'ingress', op: 'add', rule: { proto: 'tcp', ports: { from: 6432, to: 6432 }, cidr: '10.0.0.0/8' } });
    const checked = s.check(untouched);
    expect(asJson(checked)).toBe(asJson(doctor(untouched)));
    expect(evidence(checked).filter((t) => first.has(t)).length).toBeGreaterThan(0);
    // The nodes' own group: the queries leave through it, so they are traced again.
    const touched = applyChange(seed, { kind: 'sg-rule', group: 'sg-nodes', direction: 'egress', op: 'add', rule: { proto: 'tcp', ports: { from: 6432, to: 6432 }, cidr: '10.0.0.0/8' } });
    const again = s.check(touched);
    expect(asJson(again)).toBe(asJson(doctor(touched)));
    expect(evidence(again).length).toBeGreaterThan(0);
    expect(evidence(again).filter((t) => first.has(t))).toEqual([]);
  });
});

describe('a check the first run\'s classes cannot serve', () => {
  it('derives the classes once, serves later copies that differ from it only where classes cannot change, and answers as doctor from scratch', () => {
    const estate = generated();
    const s = doctorSession(estate);
    // An instance's source/dest check is part of a node's profile: the first run's classes cannot serve.
    const node = estate.nodes[0]!;
    // Copy on write, as fix's what-ifs are: the copy shares the nodes' parsed dumps with the session.
    const base = withSourceDestCheck(estate, node.instance, !estate.instances.find((i) => i.id === node.instance)!.sourceDestCheck);
    expect(changedElements(estate, base)).toEqual(new Set([`eni:eni-of-${node.instance}`]));
    const derived = s.check(base);
    expect(asJson(derived)).toBe(asJson(doctor(base)));
    expect(derived.sources).not.toBe(s.result.sources);
    // The same flip plus a change of one route table or security group each: narrowed from that copy. The
    // data VPCs' tables (a cluster's table routes each node's pod CIDR to it: removing one changes the classes).
    const tables = estate.routeTables.filter((t) => t.id.startsWith('rtb-d') && t.routes.some((r) => r.target !== 'local'));
    const groups = estate.securityGroups.filter((g) => g.ingress.length > 0);
    const more: EstateChange[] = [
      ...tables.slice(0, 3).map((t): EstateChange => ({ kind: 'route', table: t.id, op: 'remove', route: t.routes.find((r) => r.target !== 'local')! })),
      ...groups.slice(0, 3).map((g): EstateChange => ({ kind: 'sg-rule', group: g.id, direction: 'ingress', op: 'remove', rule: g.ingress[0]! })),
      // A route to a prefix nothing mentions: the classes change, so they are derived again.
      { kind: 'route', table: tables[0]!.id, op: 'add', route: { destination: '198.51.100.0/24', target: tables[0]!.routes.find((r) => r.target !== 'local')!.target } },
    ];
    let served = 0;
    let again = 0;
    for (const c of more) {
      const changed = applyChange(base, c);
      expect(changedElements(base, changed)?.size).toBe(1);
      const checked = s.check(changed);
      expect(asJson(checked), JSON.stringify(c)).toBe(asJson(doctor(changed)));
      if (checked.sources === derived.sources) served++;
      else again++;
    }
    expect(served).toBeGreaterThan(2);
    expect(again).toBeGreaterThan(0);
  }, 240_000);
});

describe('fix through a session', () => {
  it('gives the proofs doctor from scratch gives, pairs of candidates included (their pre-check is delivers)', () => {
    const estate = generated();
    const session = doctorSession(estate);
    let asked = 0;
    const delivers = (e: Estate, pairs: readonly string[]) => {
      asked++;
      return session.delivers(e, pairs);
    };
    const through = fixAll(estate, session.result, session.check, { replan: replanOf(estate), delivers });
    const scratch = fixAll(estate, doctor(estate), doctor, { replan: replanOf(estate) });
    // Some finding has no candidate proven alone, so pairs of candidates were tried (through delivers).
    expect(scratch.some((f) => f.proofs.length > 0 && !f.proofs.some((p) => p.proven))).toBe(true);
    expect(asked).toBeGreaterThan(0);
    expect(JSON.stringify(through)).toBe(JSON.stringify(scratch));
  }, 240_000);
});
