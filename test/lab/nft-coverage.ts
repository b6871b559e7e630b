/**
 * What the nftables differential must have exercised (differential-nft.test.ts):
 * for each kind of native chain random-nft.ts writes, whether a flow's trace
 * shows it deciding the way the case names.
 */
import type { Trace, Hop, NetfilterTableStep } from '../../src/trace/types.js';

/** The four cases of the brief: (a) drop, (b) accept, (c) nat, (d) connmark. */
export type NftCase = 'drop-final' | 'accept-then-iptables' | 'native-nat' | 'connmark-reply-route';

const steps = (h: Hop): NetfilterTableStep[] => (h.kind === 'node-netfilter' ? h.tables : []);
const hops = (t: Trace): Hop[] => [...t.forward, ...(t.reply ?? [])];

/** The cases a trace exercises. */
export function casesOf(t: Trace): NftCase[] {
  const out = new Set<NftCase>();
  for (const h of hops(t)) {
    const s = steps(h);
    if (s.some((x) => x.chain === 'pp-drop' && x.table === 'nft ip pp-native' && (x.verdict === 'DROP' || x.verdict === 'REJECT'))) out.add('drop-final');
    const early = s.findIndex((x) => x.chain === 'pp-early' && x.verdict === 'ACCEPT' && x.rule !== undefined);
    if (early >= 0 && s.slice(early + 1).some((x) => !x.table.startsWith('nft ') && (x.verdict === 'DROP' || x.verdict === 'REJECT'))) out.add('accept-then-iptables');
    if (s.some((x) => (x.chain === 'pp-dnat' || x.chain === 'pp-snat') && x.nat !== undefined)) out.add('native-nat');
  }
  if (connmarkReplyIface(t)) out.add('connmark-reply-route');
  return [...out];
}

/**
 * For a NodePort flow to node-0 delivered to pod B: the device the reply left
 * node-0 by (ens5 when the restored mark selected `lookup main`, ens6 by
 * `from B lookup 2`), when the reply's own PREROUTING ran the aws-cni table.
 */
export function connmarkReplyIface(t: Trace): string | undefined {
  if (!t.reply || t.flow.dport === undefined || t.flow.dport < 30080 || t.flow.dport > 30081) return undefined;
  const i = t.reply.findIndex((h) => h.kind === 'node-netfilter' && h.at === 'node-0' && h.tables.some((x) => x.table === 'nft ip aws-cni'));
  if (i < 0) return undefined;
  const route = t.reply.slice(i).find((h) => h.kind === 'node-route' && h.at === 'node-0');
  return route?.kind === 'node-route' ? route.outIface : undefined;
}
