/**
 * Brute-force reference implementations the AWS evaluators are tested against.
 * They are written differently from src/aws on purpose: bit strings instead of
 * masks, expanded port sets instead of range checks, a minimum search instead
 * of sorting, no trie.
 */
import type { NetworkAcl, RouteTable, SecurityGroup, Vpc } from '../../src/model/aws.js';
import type { Packet } from '../../src/net/packet.js';

/** The address as 32 characters of '0'/'1'. */
export function bits(ip: number): string {
  return (ip >>> 0).toString(2).padStart(32, '0');
}

/** `a.b.c.d/len` -> [address bits, len], without using src/net. */
function cidrBits(text: string): [string, number] {
  const [addr, len] = text.split('/') as [string, string | undefined];
  const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return [bits(n), len === undefined ? 32 : Number(len)];
}

/** True when `ip` is inside the CIDR block `text`, by comparing leading bits. */
export function inCidr(text: string, ip: number): boolean {
  const [b, len] = cidrBits(text);
  return bits(ip).slice(0, len) === b.slice(0, len);
}

/** Linear longest-prefix match over the table plus the implicit local routes. Ties: first listed. */
export function lookupRouteLinear(table: RouteTable, vpc: Vpc, dst: number): { destination: string; target: string } | undefined {
  const listed = table.routes.map((r) => ({ destination: canonical(r.destination), target: r.target }));
  const implicit = vpc.cidrBlocks
    .map(canonical)
    .filter((b) => !listed.some((r) => r.destination === b))
    .map((b) => ({ destination: b, target: 'local' }));
  let best: { destination: string; target: string } | undefined;
  let bestLen = -1;
  for (const r of [...implicit, ...listed]) {
    const len = cidrBits(r.destination)[1];
    if (inCidr(r.destination, dst) && len > bestLen) {
      best = r;
      bestLen = len;
    }
  }
  return best;
}

/** Clears host bits the slow way, so oracle destinations print like the implementation's. */
function canonical(text: string): string {
  const [b, len] = cidrBits(text);
  const masked = b.slice(0, len).padEnd(32, '0');
  const octets = [0, 8, 16, 24].map((i) => parseInt(masked.slice(i, i + 8), 2));
  return `${octets.join('.')}/${len}`;
}

const PROTOS_OF: Record<string, string[]> = { all: ['tcp', 'udp', 'icmp'], tcp: ['tcp'], udp: ['udp'], icmp: ['icmp'], '6': ['tcp'], '17': ['udp'], '1': ['icmp'] };

/** Every destination port a rule admits for a packet of `proto`, or 'any'. */
function portSet(rule: { proto: string | number; ports?: { from: number; to: number } }, proto: string): Set<number> | 'any' {
  if (rule.ports === undefined || rule.proto === 'all' || proto === 'icmp') return 'any';
  const s = new Set<number>();
  for (let p = rule.ports.from; p <= rule.ports.to; p++) s.add(p);
  return s;
}

function trafficMatches(rule: { proto: string | number; ports?: { from: number; to: number } }, packet: Packet): boolean {
  if (!(PROTOS_OF[String(rule.proto)] ?? []).includes(packet.proto)) return false;
  const ports = portSet(rule, packet.proto);
  return ports === 'any' || ports.has(packet.dport);
}

/** Security groups: any rule of any group, checked one by one. Returns allowed and the expected ref. */
export function sgReference(
  groups: SecurityGroup[],
  direction: 'ingress' | 'egress',
  packet: Packet,
  members: Map<string, number[]>,
): { allowed: boolean; ref: string } {
  const peer = direction === 'ingress' ? packet.src : packet.dst;
  for (const g of groups) {
    const hit = g[direction].findIndex(
      (r) => trafficMatches(r, packet) && (r.cidr !== undefined ? inCidr(r.cidr, peer) : (members.get(r.sg!) ?? []).includes(peer)),
    );
    if (hit >= 0) return { allowed: true, ref: `${g.id}#${direction}[${hit}]` };
  }
  return { allowed: false, ref: `${groups.length ? groups.map((g) => g.id).join(',') : '(no security group)'}#${direction}` };
}

/** Network ACL: the matching rule with the smallest number (first listed on a tie), else `*`. */
export function naclReference(acl: NetworkAcl, direction: 'ingress' | 'egress', packet: Packet): { action: 'allow' | 'deny'; ref: string } {
  const peer = direction === 'ingress' ? packet.src : packet.dst;
  let winner: { rule: number; action: 'allow' | 'deny' } | undefined;
  for (const r of acl[direction]) {
    if (!trafficMatches(r, packet) || !inCidr(r.cidr, peer)) continue;
    if (winner === undefined || r.rule < winner.rule) winner = r;
  }
  if (winner === undefined) return { action: 'deny', ref: `${acl.id}#${direction}[*]` };
  return { action: winner.action, ref: `${acl.id}#${direction}[${winner.rule}]` };
}
