// A what-if copy compiled with `base` takes the base world's records for the inputs it shares (the same
// objects) and compiles the rest: its traces must equal those of the copy compiled from scratch.
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { compileWorld, type World } from '../../src/trace/world.js';
import { traceFlow } from '../../src/trace/trace.js';
import { withIptablesInsert } from '../../src/fix/what-if.js';
import { withSyntheticHosts } from '../../src/trace/synthetic-hosts.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Estate } from '../../src/model/estate.js';
import type { Ruleset } from '../../src/linux/iptables/types.js';
import { seedFile } from '../helpers/estates.js';

const seed = loadEstateFile(seedFile);

/** Every pod to every other pod (tcp 8080), to the RDS endpoint (5432) and to each Service port: as JSON. */
function tracesOf(w: World): string {
  const e = w.estate;
  const dests = [
    ...e.pods.filter((p) => p.ip).map((p) => `${p.ip}:8080`),
    ...e.rdsInstances.map((r) => `${r.address}:5432`),
    ...e.services.flatMap((s) => (s.clusterIP ? s.ports.map((p) => `${s.clusterIP}:${p.port}/${p.proto}`) : [])),
  ];
  const out = e.pods.flatMap((p) => dests.map((d) => {
    const [dst, proto] = d.split('/');
    return traceFlow(w, { src: `pod:${p.name}`, dst: dst!, ...(proto ? { proto: proto as 'udp' | 'tcp' } : {}) });
  }));
  return JSON.stringify(out);
}

/** The copy compiled on the base and from scratch (sharing the base's parsed dumps, as doctor does). */
function both(base: World, copy: Estate, editRules?: (r: Ruleset) => Ruleset): { reused: World; fresh: World } {
  return {
    reused: compileWorld(copy, { rulesets: base.rulesets, base, ...(editRules ? { editRules } : {}) }),
    fresh: compileWorld(copy, { rulesets: base.rulesets, ...(editRules ? { editRules } : {}) }),
  };
}

describe('compileWorld with a base world', () => {
  const base = compileWorld(seed);

  it('takes every record of an unchanged copy and traces alike', () => {
    const { reused, fresh } = both(base, { ...seed });
    for (const [id, s] of reused.subnets) expect(s).toBe(base.subnets.get(id));
    for (const [ip, e] of reused.enis) expect(e).toBe(base.enis.get(ip));
    for (const [name, n] of reused.nodes) expect(n).toBe(base.nodes.get(name));
    for (const [name, p] of reused.pods) expect(p).toBe(base.pods.get(name));
    expect(tracesOf(reused)).toBe(tracesOf(fresh));
  });

  it('compiles again only the node whose inserts changed, and its pods', () => {
    const rule = '-d 10.0.18.52/32 -o eth0 -j MASQUERADE';
    const copy = withIptablesInsert(seed, ['node-1'], { table: 'nat', chain: 'POSTROUTING', rule, label: 'test' });
    const { reused, fresh } = both(base, copy);
    expect(reused.nodes.get('node-1')).not.toBe(base.nodes.get('node-1'));
    expect(reused.nodes.get('node-2')).toBe(base.nodes.get('node-2'));
    for (const p of reused.pods.values()) expect(p.node).toBe(reused.nodes.get(p.pod.node));
    expect([...reused.nodes.get('node-1')!.pods.values()].every((p) => reused.pods.get(p.name) === p)).toBe(true);
    expect(tracesOf(reused)).toBe(tracesOf(fresh));
    expect(tracesOf(reused)).not.toBe(tracesOf(base)); // the insert decides some flow (else this test shows nothing)
  });

  it('compiles a changed route table again, and the subnets that use it', () => {
    const table = seed.routeTables.find((t) => t.routes.some((r) => r.target.startsWith('pcx-')))!;
    const changed = { ...table, routes: table.routes.filter((r) => !r.target.startsWith('pcx-')) };
    const copy = { ...seed, routeTables: seed.routeTables.map((t) => (t === table ? changed : t)) };
    const { reused, fresh } = both(base, copy);
    const users = [...reused.subnets.values()].filter((s) => s.routeTable.id === table.id);
    expect(users.length).toBeGreaterThan(0);
    for (const s of users) expect(s).not.toBe(base.subnets.get(s.subnet.id));
    expect(tracesOf(reused)).toBe(tracesOf(fresh));
    expect(tracesOf(reused)).not.toBe(tracesOf(base));
  });

  it('adds synthetic hosts without compiling the nodes again', () => {
    const subnet = seed.subnets[0]!;
    const ip = (parseIpv4(subnet.cidr.split('/')[0]!) + 200) >>> 0;
    const { estate: copy } = withSyntheticHosts(seed, [{ ip, subnet: subnet.id }]);
    const { reused, fresh } = both(base, copy);
    expect(reused.nodes.get('node-1')).toBe(base.nodes.get('node-1'));
    expect(reused.enis.get(ip)).toBeDefined();
    expect(reused.sgMembers).toEqual(fresh.sgMembers);
    expect(tracesOf(reused)).toBe(tracesOf(fresh));
  });

  it('takes no node record when the dumps are edited, or when the pods differ', () => {
    const dropNat = (r: Ruleset): Ruleset => ({ ...r, tables: new Map([...r.tables].filter(([t]) => t !== 'nat')) });
    const edited = both(base, seed, dropNat);
    for (const [name, n] of edited.reused.nodes) expect(n).not.toBe(base.nodes.get(name));
    expect(tracesOf(edited.reused)).toBe(tracesOf(edited.fresh));
    expect(tracesOf(edited.reused)).not.toBe(tracesOf(base));
    const moved = { ...seed, pods: seed.pods.filter((p) => p.name !== 'default/worker-2c4') };
    const fewer = both(base, moved);
    for (const [name, n] of fewer.reused.nodes) expect(n).not.toBe(base.nodes.get(name));
    expect(fewer.reused.nodes.get('node-2')!.pods.size).toBe(base.nodes.get('node-2')!.pods.size - 1);
    expect(tracesOf(fewer.reused)).toBe(tracesOf(fewer.fresh));
  });
});
