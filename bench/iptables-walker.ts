/**
 * One walk of the iptables trace benchmark, run in its own worker thread
 * (bench/isolate.mjs) so that the walks compared never share JIT state: in one
 * isolate the engine's `run` would be optimised for a mix of the indexed and
 * the index-less walk, slowing each by a different amount.
 *
 * workerData.walk:
 * - `indexed`: walkHook as podpath runs it;
 * - `no-index`: walkHook with `{ linear: true }`, every rule of a chain in order;
 * - `reference`: referenceWalkHook, the plain reading of the kernel's traversal
 *   (the naive linear walk);
 * - `node-path`: walkNodePath, the node part of a trace: PREROUTING, the
 *   routing decision, FORWARD and POSTROUTING for the request (pod on cni0 to
 *   a ClusterIP, out eth0), then the reply's way back through conntrack.
 *
 * Messages: the main thread sends a number of passes; the walker answers with
 * microseconds per trace over that many passes over its 200 packets.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { parseIptablesSave } from '../src/linux/iptables/parse.js';
import { walkHook } from '../src/linux/iptables/walk.js';
import { referenceWalkHook } from '../src/linux/iptables/reference-walk.js';
import { walkNodePath } from '../src/linux/iptables/node-path.js';
import type { NetfilterContext } from '../src/linux/iptables/types.js';
import { parseIpv4 } from '../src/net/ipv4.js';
import type { Packet } from '../src/net/packet.js';

/** What the main thread gives a walker. */
export interface WalkerData {
  module: string;
  text: string;
  services: number;
  walk: 'indexed' | 'no-index' | 'reference' | 'node-path';
}

const data = workerData as WalkerData;
const rs = parseIptablesSave({ text: data.text, file: 'bench' }).value;
const nodeAddress = parseIpv4('192.168.1.10');
const ctx: NetfilterContext = { inIface: 'cni0', isLocal: (ip) => ip === nodeAddress, ifaceAddress: () => undefined, ctState: 'NEW' };
const packets: Packet[] = Array.from({ length: 200 }, (_, i) => ({
  src: parseIpv4('10.244.250.1'), dst: parseIpv4('10.96.0.0') + ((i * 7919) % data.services), proto: 'tcp', sport: 40000, dport: 80,
}));
const opts = { linear: data.walk === 'no-index' };
const addresses = [{ iface: 'eth0', addr: nodeAddress, len: 24 }, { iface: 'cni0', addr: parseIpv4('10.244.250.254'), len: 24 }];
const walk = data.walk === 'reference'
  ? (p: Packet) => referenceWalkHook(rs, 'PREROUTING', p, ctx, 0)
  : data.walk === 'node-path'
    ? (p: Packet) => walkNodePath(rs, { packet: p, start: { kind: 'arrives', inIface: 'cni0' }, outIface: 'eth0', addresses })
    : (p: Packet) => walkHook(rs, 'PREROUTING', p, ctx, 0, opts);

/** One pass: a walk of every packet; checks that each forks into 5 DNAT branches (node path: each forwarded, with a reply). */
function pass(): void {
  for (const p of packets) {
    const out = walk(p);
    if (out.length !== 5) throw new Error(`expected 5 DNAT branches, got ${out.length}`);
    if (data.walk === 'node-path' && !(out as ReturnType<typeof walkNodePath>).every((b) => b.end.kind === 'forwarded' && b.reply)) {
      throw new Error('expected every branch forwarded, with a reply');
    }
  }
}

// Warm to steady state: the indexed walk visits a few rules per trace, so it needs more passes.
for (let i = 0; i < (data.walk === 'indexed' || data.walk === 'node-path' ? 20 : 3); i++) pass();
parentPort!.on('message', (passes: number) => {
  const t0 = performance.now();
  for (let i = 0; i < passes; i++) pass();
  parentPort!.postMessage(((performance.now() - t0) * 1000) / (passes * packets.length));
});
parentPort!.postMessage('ready');
