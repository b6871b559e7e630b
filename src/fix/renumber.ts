/**
 * A cluster re-plan on a model copy: moves the Service CIDR and/or the pod
 * CIDR to new blocks of the same size, keeping every address's offset, and
 * rewrites every place the old addresses appear: cluster settings, nodes' pod
 * CIDRs and bridges, pods, Services and endpoints, routes toward nodes, SG
 * and NACL CIDRs inside a moved pod CIDR, and the nodes' iptables dumps,
 * inserts, routes and resolv.conf texts. A Service CIDR move renumbers only
 * the ClusterIPs (`only`), never real hosts sharing the block. A CIDR that covers an old block (e.g. `10.0.0.0/8`
 * around a pod CIDR) is left as written: it is not the cluster's to move.
 *
 * Guarantees: the input is not changed; an address outside both old blocks is
 * never changed; mapping is a bijection from each old block onto its new one
 * (same size is required, else PP_USAGE).
 */
import { PodpathError } from '../model/errors.js';
import type { Estate } from '../model/estate.js';
import { formatIpv4, parseIpv4, readIpv4 } from '../net/ipv4.js';
import { contains, formatPrefix, maskOf, parseCidr, type Prefix } from '../net/prefix.js';
import { copyEstate } from './what-if.js';
import { textKey, withText, type TextSource } from '../model/source.js';

/** Old block -> new block. */
export interface Move {
  from: string;
  to: string;
  /**
   * Only these addresses move (and CIDR texts equal to `from`): a Service CIDR
   * is virtual, so only its ClusterIPs are renumbered, never real hosts that
   * happen to share the block. @default every address inside `from`
   */
  only?: string[];
}

/** A function renumbering addresses and CIDR texts. */
export function renumberer(moves: Move[]): (text: string) => string {
  const pairs: [Prefix, Prefix, Set<number> | undefined][] = moves.map((m) => {
    const from = parseCidr(m.from);
    const to = parseCidr(m.to);
    if (from.len !== to.len) throw new PodpathError('PP_USAGE', `cannot renumber ${m.from} into ${m.to}: the blocks differ in size`);
    return [from, to, m.only && new Set(m.only.map(parseIpv4))];
  });
  const one = (ip: number, len = 32): number => {
    const hit = pairs.find(([f, , only]) => contains(f, ip) && (!only || (len === 32 ? only.has(ip) : len === f.len && ip === f.addr)));
    return hit ? (hit[1].addr + (ip - hit[0].addr)) >>> 0 : ip;
  };
  return (text) =>
    text.replace(/\b(\d{1,3}(?:\.\d{1,3}){3})(\/\d{1,2})?\b/g, (all, addr: string, len?: string) => {
      // readIpv4 takes only canonical dotted quads (no leading zeros): an address that does not move is written as it was.
      const ip = readIpv4(addr);
      if (ip === -1) return all;
      if (len) {
        // parseCidr's reading with host bits masked, without writing the text again (a dump holds tens of thousands).
        const bits = Number(len.slice(1));
        if (bits > 32) parseCidr(`${addr}${len}`); // throws its PP_BAD_CIDR, as before
        const base = (ip & maskOf(bits)) >>> 0;
        const inside = pairs.some(([f]) => bits >= f.len && contains(f, base));
        return inside ? `${formatIpv4(one(ip, bits))}${len}` : all;
      }
      const moved = one(ip);
      return moved === ip ? all : formatIpv4(moved);
    });
}

/** The estate with the cluster moved (see the module comment). */
export function withRenumberedCluster(e: Estate, moves: Move[]): Estate {
  const map = renumberer(moves);
  const copy = copyEstate(e);
  // A renumbered text is a function of the text and the moves: nodes sharing one dump (often thousands) share one
  // renumbered text, whose digest says so (the old digest alone would name the text before the move).
  const done = new Map<string, string>();
  const moved = JSON.stringify(moves);
  const text = <T extends TextSource | undefined>(t: T): T => {
    if (!t) return t;
    const key = textKey(t);
    let after = done.get(key);
    if (after === undefined) done.set(key, (after = map(t.text)));
    const out = withText(t, after);
    return (t.digest !== undefined ? { ...out, digest: `${t.digest} renumbered ${moved}` } : out) as T;
  };
  if (copy.cluster) {
    if (copy.cluster.podCidr) copy.cluster.podCidr = map(copy.cluster.podCidr);
    if (copy.cluster.serviceCidr) copy.cluster.serviceCidr = map(copy.cluster.serviceCidr);
    if (copy.cluster.dnsServiceIp) copy.cluster.dnsServiceIp = map(copy.cluster.dnsServiceIp);
    copy.cluster.additionalServiceCidrs = copy.cluster.additionalServiceCidrs.map(map);
    copy.cluster.clusterIPs = copy.cluster.clusterIPs.map((c) => ({ ...c, ip: map(c.ip) }));
  }
  for (const n of copy.nodes) {
    if (n.podCidr) n.podCidr = map(n.podCidr);
    if (n.bridge) n.bridge.address = map(n.bridge.address);
    n.iptables = text(n.iptables);
    n.routes = text(n.routes);
    n.ipRules = text(n.ipRules);
    n.ipsets = text(n.ipsets);
    n.resolvConf = text(n.resolvConf);
    n.iptablesInserts = n.iptablesInserts.map((i) => ({ ...i, rule: map(i.rule) }));
  }
  for (const p of copy.pods) {
    if (p.ip) p.ip = map(p.ip);
    p.resolvConf = text(p.resolvConf);
  }
  for (const s of copy.services) {
    s.clusterIP = map(s.clusterIP);
    s.endpoints = s.endpoints.map(map);
  }
  // Routes toward nodes (pod routes) move with the pods; AWS rules name real
  // hosts, so only a move without `only` (a pod CIDR) rewrites them.
  const nodes = new Set(copy.nodes.map((n) => n.instance));
  for (const t of copy.routeTables) for (const r of t.routes) if (nodes.has(r.target)) r.destination = map(r.destination);
  const real = renumberer(moves.filter((m) => !m.only));
  for (const g of copy.securityGroups) for (const r of [...g.ingress, ...g.egress]) if (r.cidr) r.cidr = real(r.cidr);
  for (const a of copy.networkAcls) for (const r of [...a.ingress, ...a.egress]) r.cidr = real(r.cidr);
  return copy;
}

/** `10.0.0.0/16` -> `100.64.0.0/16` for display. */
export function describeMoves(moves: Move[]): string {
  return moves.map((m) => `${formatPrefix(parseCidr(m.from))} -> ${formatPrefix(parseCidr(m.to))}`).join(', ');
}
