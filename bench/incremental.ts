/**
 * Incremental re-check (issue 15, acceptance 2): one change (a security group
 * rule, a network ACL rule, a route, an iptables rule on a node group), then
 * IncrementalCheck re-traces what the change can affect; the baseline is the
 * full re-check of the changed estate (classes and every pair traced again),
 * measured in the same run. Each change kind is timed over several changes of
 * that kind (median).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runGen } from '../src/cli/commands/gen.js';
import type { GenOptions } from '../src/gen/plan.js';
import { loadSnapshot } from '../src/ingest/snapshot/load.js';
import type { Estate } from '../src/model/estate.js';
import { doctorEdges, doctorWorld } from '../src/doctor/doctor.js';
import { tracePairs } from '../src/doctor/pairs.js';
import { applyChange, IncrementalCheck, type EstateChange } from '../src/doctor/incremental.js';
import { median, r2, type Figure } from './figure.js';


/** Changes of one kind that keep the classes (prefixes already mentioned, whole node groups). */
function changes(e: Estate, n: number): Record<string, EstateChange[]> {
  const dbGroups = e.securityGroups.filter((g) => g.id.startsWith('sg-db')).slice(0, n);
  const acls = e.networkAcls.filter((a) => a.ingress.length > 0).slice(0, n);
  const tables = e.routeTables.filter((t) => t.routes.length > 0 && t.id.startsWith('rtb-d')).slice(0, n);
  const groups = [...new Set(e.nodes.map((x) => x.name.replace(/-n\d+$/, '')))].slice(0, n);
  return {
    'sg-rule': dbGroups.map((g) => ({ kind: 'sg-rule', group: g.id, direction: 'ingress', op: 'remove', rule: g.ingress[0]! })),
    'nacl-rule': acls.map((a) => ({ kind: 'nacl-rule', acl: a.id, direction: 'ingress', op: 'remove', rule: a.ingress[0]! })),
    route: tables.map((t) => ({ kind: 'route', table: t.id, op: 'remove', route: t.routes[0]! })),
    iptables: groups.map((g) => ({
      kind: 'iptables', nodes: e.nodes.filter((x) => x.name.startsWith(`${g}-`)).map((x) => x.name),
      insert: { table: 'filter', chain: 'FORWARD', rule: `-d ${e.cluster!.podCidr!} -j ACCEPT`, label: 'bench', position: 1 },
    })),
  };
}

/** Times each change kind against a full re-check of the same changed estate. */
export function benchIncremental(o: GenOptions, label: string, perKind = 5): Figure[] {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-incr-'));
  try {
    runGen({ ...o, out: join(dir, 'e') });
    const estate = loadSnapshot(join(dir, 'e'));
    const out: Figure[] = [];
    for (const [kind, list] of Object.entries(changes(estate, perKind))) {
      if (list.length === 0) continue;
      const times: number[] = [];
      const retraced: number[] = [];
      let full = 0;
      for (const c of list) {
        const check = new IncrementalCheck(estate);
        const t0 = performance.now();
        const r = check.apply(c);
        times.push(performance.now() - t0);
        retraced.push(r.retraced);
        if (r.mode === 'full') throw new Error(`bench change recomputed everything: ${r.why}`);
        if (full === 0) {
          const t1 = performance.now();
          const { world, sources, destinations } = doctorWorld(applyChange(estate, c));
          tracePairs(world, sources, destinations, doctorEdges(world));
          full = performance.now() - t1;
        }
      }
      const ms = median(times);
      out.push({ name: `incremental re-check ${label}, ${kind} (${median(retraced)} pairs re-traced)`, value: r2(ms), unit: 'ms/change', baseline: `full re-check ${r2(full)} ms`, ratio: r2(full / ms) });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
