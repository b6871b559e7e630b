/**
 * Incremental re-check (issue 15, acceptance 2): one change (a security group
 * rule, a network ACL rule, a route, an iptables rule on a node group), then
 * IncrementalCheck re-decides the hops of the pairs the change can affect and
 * re-traces the pairs whose hops decide differently. The baseline is the full
 * re-check of the changed estate (classes and every pair traced again),
 * measured once in the same run. Each change kind is timed over several
 * changes of that kind (median), on one check: each change is undone
 * (untimed) before the next, and one untimed change of each kind warms up.
 *
 * Alone (prints the figures; `npm run bench` runs it with the others):
 *   npx tsx bench/incremental.ts                     generated medium estate (200 VPCs)
 *   npx tsx bench/incremental.ts --snapshot /tmp/large [--per-kind 5]
 *                                                    a snapshot folder, e.g. the large one
 *                                                    (`podpath gen --vpcs 1000 --clusters 50
 *                                                    --nodes-per-cluster 200 --services 2000 --seed 1`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { runGen } from '../src/cli/commands/gen.js';
import type { GenOptions } from '../src/gen/plan.js';
import { loadSnapshot } from '../src/ingest/snapshot/load.js';
import type { Estate } from '../src/model/estate.js';
import { doctorEdges, doctorWorld } from '../src/doctor/doctor.js';
import { tracePairs } from '../src/doctor/pairs.js';
import { applyChange, IncrementalCheck, type EstateChange } from '../src/doctor/incremental.js';
import { line, median, r2, type Figure } from './figure.js';

/** A change and the change that undoes it (none for iptables inserts: each goes to another node group). */
interface Step { change: EstateChange; undo?: EstateChange }

/** A TCP rule for port 1 from anywhere: no traced flow uses port 1, so it decides nothing new. */
const portOne = { proto: 'tcp' as const, ports: { from: 1, to: 1 }, cidr: '0.0.0.0/0' };

/** `n` changes of each kind that keep the classes (prefixes already mentioned, whole node groups). */
function changes(e: Estate, n: number): Record<string, Step[]> {
  const dbGroups = e.securityGroups.filter((g) => g.id.startsWith('sg-db') && g.ingress.length > 0).slice(0, n);
  const acls = e.networkAcls.filter((a) => a.ingress.length > 0).slice(0, n);
  const tables = e.routeTables.filter((t) => t.id.startsWith('rtb-d') && t.routes.some((r) => r.target !== 'local')).slice(0, n);
  const groups = [...new Set(e.nodes.map((x) => x.name.replace(/-n\d+$/, '')))].slice(0, n);
  const sg = (g: string, op: 'add' | 'remove', rule: (EstateChange & { kind: 'sg-rule' })['rule'], at?: number): EstateChange =>
    ({ kind: 'sg-rule', group: g, direction: 'ingress', op, rule, ...(at === undefined ? {} : { at }) });
  const acl = (id: string, op: 'add' | 'remove', rule: (EstateChange & { kind: 'nacl-rule' })['rule'], at?: number): EstateChange =>
    ({ kind: 'nacl-rule', acl: id, direction: 'ingress', op, rule, ...(at === undefined ? {} : { at }) });
  const dataCidr = (t: Estate['routeTables'][number]) => t.routes.find((r) => r.target === 'local')?.destination ?? t.routes[0]!.destination;
  const lastRule = { rule: 32766, proto: 'all' as const, cidr: '0.0.0.0/0', action: 'deny' as const };
  return {
    // The database group's first rule goes: the pairs it admitted decide differently.
    'sg-rule remove': dbGroups.map((g) => ({ change: sg(g.id, 'remove', g.ingress[0]!), undo: sg(g.id, 'add', g.ingress[0]!, 0) })),
    // A rule no flow matches, last: every hop decides as before.
    'sg-rule add': dbGroups.map((g) => ({ change: sg(g.id, 'add', portOne), undo: sg(g.id, 'remove', portOne) })),
    'nacl-rule remove': acls.map((a) => ({ change: acl(a.id, 'remove', a.ingress[0]!), undo: acl(a.id, 'add', a.ingress[0]!, 0) })),
    // A deny numbered after the ACL's rules: it decides nothing the earlier rules decided.
    'nacl-rule add': acls.map((a) => ({ change: acl(a.id, 'add', lastRule), undo: acl(a.id, 'remove', lastRule) })),
    // The route the table's traffic leaves by goes: the pairs it carried decide differently.
    'route remove': tables.map((t) => {
      const route = t.routes.find((r) => r.target !== 'local')!;
      return { change: { kind: 'route', table: t.id, op: 'remove', route }, undo: { kind: 'route', table: t.id, op: 'add', route, at: t.routes.indexOf(route) } };
    }),
    // A blackhole route to the next data VPC (a prefix other tables already name): no traced packet leaves
    // by this table for it, so its hops decide the same (pairs it makes routable, if any, are new: traced).
    'route add': tables.map((t, i) => {
      const next = tables[(i + 1) % tables.length]!;
      const route = { destination: next.routes.find((r) => r.target === 'local')?.destination ?? next.routes[0]!.destination, target: 'blackhole' };
      return { change: { kind: 'route', table: t.id, op: 'add', route }, undo: { kind: 'route', table: t.id, op: 'remove', route } };
    }),
    // Every packet forwarded to or from a pod has a pod-CIDR destination either way (the reply's): it matches, or,
    // failing by one match only, the walk reports the rule as a near miss: every pair through FORWARD there changes.
    iptables: groups.map((g) => ({
      change: {
        kind: 'iptables', nodes: e.nodes.filter((x) => x.name.startsWith(`${g}-`)).map((x) => x.name),
        insert: { table: 'filter', chain: 'FORWARD', rule: `-d ${e.cluster!.podCidr!} -j ACCEPT`, label: 'bench', position: 1 },
      },
    })),
    // A port no flow uses, to one data VPC: only that VPC's pairs see a near miss (their -d holds); for the rest
    // two matches fail, so their hops cannot change and they are kept.
    'iptables, one data VPC': groups.map((g, i) => ({
      change: {
        kind: 'iptables', nodes: e.nodes.filter((x) => x.name.startsWith(`${g}-`)).map((x) => x.name),
        insert: { table: 'filter', chain: 'FORWARD', rule: `-d ${dataCidr(tables[i % tables.length]!)} -p tcp -m tcp --dport 9 -j DROP`, label: 'bench', position: 1 },
      },
    })),
  };
}

/** Times each change kind on one IncrementalCheck against one full re-check of a changed estate. */
function measure(estate: Estate, label: string, perKind: number): Figure[] {
  const check = new IncrementalCheck(estate);
  let full: number | undefined;
  const out: Figure[] = [];
  for (const [kind, list] of Object.entries(changes(estate, perKind + 1))) {
    if (list.length < 2) continue;
    const times: number[] = [];
    const redecided: number[] = [];
    const retraced: number[] = [];
    for (const [i, { change, undo }] of list.entries()) {
      const t0 = performance.now();
      const r = check.apply(change);
      const ms = performance.now() - t0;
      if (r.mode === 'full') throw new Error(`bench change recomputed everything: ${r.why}`);
      if (i > 0) {
        times.push(ms);
        redecided.push(r.redecided);
        retraced.push(r.retraced);
      }
      if (full === undefined) {
        const t1 = performance.now();
        const { world, sources, destinations } = doctorWorld(applyChange(estate, change));
        tracePairs(world, sources, destinations, doctorEdges(world));
        full = performance.now() - t1;
      }
      if (undo) check.apply(undo);
    }
    const ms = median(times);
    out.push({
      name: `incremental re-check ${label}, ${kind} (median ${median(redecided)} pairs re-decided and kept, ${median(retraced)} re-traced; ${times.length} changes)`,
      value: r2(ms), unit: 'ms/change', baseline: `full re-check ${r2(full!)} ms`, ratio: r2(full! / ms),
    });
  }
  return out;
}

/** The figures for a generated estate, or for a snapshot folder given by path. */
export function benchIncremental(from: GenOptions | string, label: string, perKind = 5): Figure[] {
  if (typeof from === 'string') return measure(loadSnapshot(from), label, perKind);
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-incr-'));
  try {
    runGen({ ...from, out: join(dir, 'e') });
    return measure(loadSnapshot(join(dir, 'e')), label, perKind);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
  const snapshot = arg('--snapshot');
  const perKind = Number(arg('--per-kind') ?? 5);
  const medium: GenOptions = { vpcs: 200, clusters: 10, nodesPerCluster: 20, services: 500, endpointsPerService: 5, seed: 1, faults: true };
  const figures = snapshot ? benchIncremental(snapshot, basename(snapshot), perKind) : benchIncremental(medium, 'medium', perKind);
  for (const f of figures) process.stdout.write(`${line(f)}\n`);
}
