// changedElements: which elements a changed copy changed, or undefined when it cannot say.
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { changedElements } from '../../src/doctor/estate-diff.js';
import { withIptablesInsert } from '../../src/fix/what-if.js';
import type { Estate } from '../../src/model/estate.js';
import { seedFile } from '../helpers/estates.js';

const seed = loadEstateFile(seedFile);
const insert = { table: 'nat' as const, chain: 'POSTROUTING', rule: '-d 10.0.18.52/32 -o eth0 -j MASQUERADE', label: 'test' };
/** The seed with node `i` replaced by `f` of a deep copy of it (new objects, as a re-read estate has). */
const withNode = (i: number, f: (n: Estate['nodes'][number]) => Estate['nodes'][number]): Estate => {
  const nodes = [...seed.nodes];
  nodes[i] = f(structuredClone(seed.nodes[i]!));
  return { ...seed, nodes };
};

describe('changedElements on nodes', () => {
  it('names every node whose rules an insert changed, and nothing else', () => {
    expect([...changedElements(seed, withIptablesInsert(seed, 'all', insert))!].sort()).toEqual(seed.nodes.map((n) => `node:${n.name}`).sort());
  });

  it('sees nothing in a node equal to the original but made of new objects', () => {
    expect([...changedElements(seed, withNode(0, (n) => n))!]).toEqual([]);
  });

  it('names the node when only its dump text changed', () => {
    const changed = withNode(0, (n) => ({ ...n, iptables: { ...n.iptables!, text: `${n.iptables!.text}\n# edited\n`, digest: undefined } }));
    expect([...changedElements(seed, changed)!]).toEqual([`node:${seed.nodes[0]!.name}`]);
  });

  it('cannot narrow a change to a node\'s other texts or fields (undefined: everything is checked again)', () => {
    expect(changedElements(seed, withNode(0, (n) => ({ ...n, resolvConf: { ...n.resolvConf!, text: `${n.resolvConf!.text}options ndots:2\n`, digest: undefined } })))).toBeUndefined();
    expect(changedElements(seed, withNode(0, (n) => ({ ...n, podCidr: '10.244.99.0/24' })))).toBeUndefined();
    expect(changedElements(seed, withNode(0, (n) => ({ ...n, extra: 1 }) as typeof n))).toBeUndefined();
  });

  it('reads a field left undefined as absent, as JSON does', () => {
    expect(seed.nodes[0]!.ipsets).toBeUndefined();
    expect([...changedElements(seed, withNode(0, (n) => ({ ...n, ipsets: undefined })))!]).toEqual([]);
    // A field's place matters as it does in JSON: the same fields in another order are not narrowed.
    expect(changedElements(seed, withNode(0, ({ name, ...rest }) => ({ ...rest, name })))).toBeUndefined();
  });
});
