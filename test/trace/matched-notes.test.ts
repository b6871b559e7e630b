// A netfilter hop notes each rule that matched, naming the table and the hook's chain: one KUBE-SERVICES rule is
// reached from nat PREROUTING (a pod's packet) and nat OUTPUT (the node's own), and its note names the hook of each hop.
import { describe, expect, it } from 'vitest';
import { seedFile, traceOne, worldOf } from '../helpers/estates.js';

const matched = (t: ReturnType<typeof traceOne>) => t.forward.flatMap((h) => (h.kind === 'node-netfilter' ? h.notes.filter((n) => n.includes(': matched ')) : []));

describe('matched-rule notes', () => {
  it('name the hook the rule was reached from, however often the same rule matched before', () => {
    const w = worldOf(seedFile);
    for (let round = 0; round < 2; round++) {
      const fromPod = matched(traceOne(w, { src: 'pod:default/api-7f9', dst: '10.0.0.10:53', proto: 'udp' }));
      const fromNode = matched(traceOne(w, { src: 'node:node-1', dst: '10.0.0.10:53', proto: 'udp' }));
      expect(fromPod.length).toBeGreaterThan(0);
      expect(fromNode.length).toBeGreaterThan(0);
      expect(fromPod.every((n) => n.startsWith('nat PREROUTING: matched '))).toBe(true);
      expect(fromNode.every((n) => n.startsWith('nat OUTPUT: matched '))).toBe(true);
      // Past each hook's own jump to KUBE-SERVICES, the same rule lines, reached from either hook.
      expect(fromNode.slice(1).map((n) => n.slice('nat OUTPUT'.length))).toEqual(fromPod.slice(1).map((n) => n.slice('nat PREROUTING'.length)));
      expect(fromPod.length).toBeGreaterThan(1);
    }
  });
});
