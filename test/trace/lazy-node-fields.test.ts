// compileWorld derives a node's routes (and the interface binding that reads them) and, for what-if copies, parses its
// dump when a trace first reads them; the first read makes them plain data, the same values every later read sees.
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { compileWorld } from '../../src/trace/world.js';
import { seedFile } from '../helpers/estates.js';

const isGetter = (o: object, k: string) => typeof Object.getOwnPropertyDescriptor(o, k)?.get === 'function';

describe('lazy node fields', () => {
  it('are made on first read, then read as plain data holding what the first read gave', () => {
    const estate = loadEstateFile(seedFile);
    const w = compileWorld(estate, { rulesets: new Map(), lazyRulesets: true });
    const node = [...w.nodes.values()].find((n) => !n.node.routes && n.node.iptables)!;
    expect(node).toBeDefined();
    for (const k of ['routes', 'eth0', 'interfaces', 'ifaceConflicts', 'ruleset']) expect(isGetter(node, k), k).toBe(true);
    const interfaces = node.interfaces;
    // One read settles the four fields made together; the rule set is read on its own.
    for (const k of ['routes', 'eth0', 'interfaces', 'ifaceConflicts']) expect(isGetter(node, k), k).toBe(false);
    expect(isGetter(node, 'ruleset')).toBe(true);
    const ruleset = node.ruleset;
    expect(isGetter(node, 'ruleset')).toBe(false);
    expect(node.interfaces).toBe(interfaces);
    expect(node.ruleset).toBe(ruleset);
    expect(node.routes.length).toBeGreaterThan(0);
    expect(Object.keys(node)).toContain('routes');
    // The same as a world that made them up front.
    const eager = compileWorld(estate).nodes.get(node.node.name)!;
    expect(JSON.stringify(node.routes)).toBe(JSON.stringify(eager.routes));
    expect(JSON.stringify(node.eth0)).toBe(JSON.stringify(eager.eth0));
  });
});
