/**
 * The VPC router namespace: AWS's fabric for one VPC built from kernel
 * routing and netfilter, with the same meaning the model gives it
 * (src/trace/aws-steps.ts, src/aws/*).
 *
 * Routing (policy rules by input port, ip-rule(8)):
 * - pref 100, from an interface port: table "L2 of its subnet": /32 routes to
 *   every address of every interface in that subnet and to the VPC resolver.
 *   Traffic to another interface of the same subnet is switched at layer 2,
 *   and traffic to the Amazon DNS server bypasses route tables and NACLs.
 *   When nothing matches, the lookup falls through to the next rule.
 * - pref 200, from an interface port: the subnet's route table, route by
 *   route: `local` becomes a blackhole plus /32 routes to each interface
 *   address whose longest match in the table is that local route (so a more
 *   specific middlebox route still wins, as LPM does in AWS); instance
 *   targets route via the instance's primary address; `pcx-` via the peer
 *   router; `igw-` into the sink; anything else (and no route) is blackholed.
 * - pref 100, from a peering, the resolver or the IGW: "deliver" table, /32
 *   routes to every interface address of the VPC and a blackhole default (a
 *   peer's packet is delivered to the interface that owns the destination;
 *   the resolver answers only the asking interface).
 *
 * Filtering (filter FORWARD, policy DROP), per interface port eN:
 * - leaving the interface (`-i eN`): source/dest check (source must be one of
 *   its addresses), security group egress, then the subnet NACL egress unless
 *   the destination is switched at layer 2 or is the resolver;
 * - toward a peering (`-o xN`): source inside this VPC, destination inside the
 *   peer (AWS VPC peering limitations: no transitive or edge-to-edge routing);
 * - entering the interface (`-o eN`): the subnet NACL ingress unless the
 *   packet comes from the same subnet or from the resolver, security group
 *   ingress, destination check.
 * DNS to and from the VPC resolver skips the security groups (AWS does not
 * filter it with them).
 * Security groups are stateful per interface: a connection one of its groups
 * admitted gets the interface's connmark bit, and a packet in the reply
 * direction of a connection with that bit passes (the model's
 * `Session.isTrackedReply`). NACLs are stateless: replies are evaluated too.
 * The router answers nothing itself (INPUT and OUTPUT drop) and sends no ICMP.
 */
import { formatIpv4, type Ipv4 } from '../net/ipv4.js';
import { formatPrefix, parseCidr } from '../net/prefix.js';
import { lookupRoute } from '../aws/route-table.js';
import type { NaclRule, SgRule } from '../model/aws.js';
import type { PortRange, RuleProto } from '../model/fields.js';
import type { EniRecord, SubnetRecord, VpcRecord } from '../trace/world.js';
import type { PlanContext } from './plan-context.js';
import { ICMP_NOT_RATE_LIMITED, type NsPlan } from './plan-types.js';

const DELIVER = 100;

/** The router namespace of `vpc`; `ports` lists its interfaces in bit order. */
export function planRouter(ctx: PlanContext, vpc: VpcRecord): NsPlan {
  const ns = ctx.routerNs.get(vpc.vpc.id)!;
  const ports = [...ctx.ports.values()].filter((p) => p.router === ns);
  const subnets = [...ctx.w.subnets.values()].filter((s) => s.vpc === vpc);
  const resolver = ctx.resolvers.get(vpc.vpc.id)!;
  const ip: string[] = [];
  const up = (dev: string) => ip.push(`link set ${dev} up`);

  // Port addresses: the subnet router (base + 1) answers ARP for the gateway.
  for (const p of ports) {
    ip.push(`address add ${formatIpv4((p.eni.subnet.prefix.addr + 1) >>> 0)}/32 dev ${p.dev}`);
    up(p.dev);
  }
  const p2p = [resolver, ...[...ctx.peerings.values()].map((m) => m.get(vpc.vpc.id)).filter((l) => l !== undefined), ctx.igws.get(vpc.vpc.id)].filter((l) => l !== undefined);
  for (const l of p2p) {
    ip.push(`address add ${l.routerAddr}/30 dev ${l.routerDev}`);
    up(l.routerDev);
  }

  const addrRoute = (table: number, a: Ipv4, eni: EniRecord) => `route replace ${formatIpv4(a)}/32 dev ${ctx.ports.get(eni)!.dev} scope link table ${table}`;
  const vpcEnis = ports.map((p) => p.eni);
  // Deliver table: from peerings, the resolver and the IGW.
  for (const e of vpcEnis) for (const a of e.addresses) ip.push(addrRoute(DELIVER, a, e));
  ip.push(`route replace blackhole default table ${DELIVER}`);
  for (const l of p2p) ip.push(`rule add iif ${l.routerDev} lookup ${DELIVER} pref 100`);

  subnets.forEach((s, k) => {
    const l2 = 200 + k;
    const rt = 300 + k;
    for (const e of vpcEnis.filter((x) => x.subnet === s)) for (const a of e.addresses) ip.push(addrRoute(l2, a, e));
    ip.push(`route replace ${formatIpv4(vpc.resolver)}/32 dev ${resolver.routerDev} scope link table ${l2}`);
    ip.push(...routeTable(ctx, vpc, s, vpcEnis, rt));
    for (const p of ports.filter((x) => x.eni.subnet === s)) {
      ip.push(`rule add iif ${p.dev} lookup ${l2} pref 100`, `rule add iif ${p.dev} lookup ${rt} pref 200`);
    }
  });

  return {
    ns,
    role: 'router',
    ref: vpc.vpc.id,
    sysctls: [
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0',
      'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0',
      // Interfaces answer ARP for what they route elsewhere (hosts ARP for same-subnet addresses), at once (proxyArpAtOnce).
      'net.ipv4.conf.default.proxy_arp=1',
      ICMP_NOT_RATE_LIMITED,
    ],
    ipBatch: ip,
    proxyArpAtOnce: true,
    iptables: routerFilter(ctx, vpc, ports.map((p) => p.eni), subnets),
    iptablesInserts: [],
    resolvConf: '# podpath lab: VPC router (no resolver)\n',
  };
}

/** The kernel routes of one subnet's route table (see the module header). */
function routeTable(ctx: PlanContext, vpc: VpcRecord, s: SubnetRecord, enis: EniRecord[], table: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const t = s.routeTable;
  for (const e of enis) {
    for (const a of e.addresses) {
      const r = lookupRoute(t, a);
      if (r?.target.kind === 'local') out.push(`route replace ${formatIpv4(a)}/32 dev ${ctx.ports.get(e)!.dev} scope link table ${table}`);
    }
  }
  for (const r of t.routes) {
    const dst = formatPrefix(r.prefix);
    if (seen.has(dst)) continue;
    seen.add(dst);
    const to = (how: string) => out.push(`route replace ${dst} ${how} table ${table}`);
    const tg = r.target;
    if (tg.kind === 'instance') {
      const eni = ctx.w.instanceEni.get(tg.id);
      const port = eni && ctx.ports.get(eni);
      if (port && eni.subnet.vpc === vpc) to(`via ${formatIpv4(eni.primary)} dev ${port.dev} onlink`);
      else out.push(`route replace blackhole ${dst} table ${table}`);
    } else if (tg.kind === 'pcx' && ctx.peerings.get(tg.id)?.get(vpc.vpc.id)) {
      const l = ctx.peerings.get(tg.id)!.get(vpc.vpc.id)!;
      to(`via ${l.peerAddr} dev ${l.routerDev} onlink`);
    } else if (tg.kind === 'igw' && vpc.igw?.id === tg.id && ctx.igws.get(vpc.vpc.id)) {
      const l = ctx.igws.get(vpc.vpc.id)!;
      to(`via ${l.peerAddr} dev ${l.routerDev} onlink`);
    } else {
      // local (its addresses were added above), blackhole, a peering of other VPCs,
      // and targets the model does not trace (nat, tgw, vgw, eni): nothing is delivered.
      out.push(`route replace blackhole ${dst} table ${table}`);
    }
  }
  if (!seen.has('0.0.0.0/0')) out.push(`route replace blackhole default table ${table}`);
  return out;
}

/** iptables-restore text of the router's filter table. */
function routerFilter(ctx: PlanContext, vpc: VpcRecord, enis: EniRecord[], subnets: SubnetRecord[]): string {
  const chains: string[] = [];
  const rules: string[] = [];
  const chain = (name: string) => chains.push(`:${name} - [0:0]`);
  const add = (c: string, r: string) => rules.push(`-A ${c} ${r}`);
  const cmt = (text: string) => `-m comment --comment "${text.replace(/["\\]/g, '')}"`;

  // NACLs, one chain per direction and ACL.
  const acls = [...new Set(subnets.map((s) => s.acl))];
  acls.forEach((acl, k) => {
    for (const dir of ['egress', 'ingress'] as const) {
      const c = `N${dir === 'egress' ? 'E' : 'I'}${k}`;
      chain(c);
      const ordered = [...acl[dir]].sort((a, b) => a.rule - b.rule);
      for (const r of ordered) {
        for (const m of protoMatch(r.proto, r.ports)) add(c, `${dir === 'egress' ? '-d' : '-s'} ${cidr(r.cidr)} ${m}${cmt(`${acl.id}#${dir}[${r.rule}] ${describeNacl(r)}`)} -j ${r.action === 'allow' ? 'RETURN' : 'DROP'}`);
      }
      add(c, `${cmt(`${acl.id}#${dir}[*] deny`)} -j DROP`);
    }
  });
  const aclChain = (s: SubnetRecord, dir: 'E' | 'I') => `N${dir}${acls.indexOf(s.acl)}`;

  const forward: string[] = [];
  for (const eni of enis) {
    const port = ctx.ports.get(eni)!;
    const d = port.dev;
    const bit = `0x${(1 << port.bit >>> 0).toString(16)}`;
    const members = (id: string) => [...(ctx.w.sgMembers.get(id) ?? [])].map((a) => `${formatIpv4(a)}/32`);
    const sgChain = (c: string, okChain: string, dir: 'egress' | 'ingress') => {
      chain(c);
      chain(okChain);
      add(c, `-m conntrack --ctdir REPLY -m connmark --mark ${bit}/${bit} ${cmt(`${eni.id}: reply of a connection its security groups admitted`)} -j RETURN`);
      // Security groups do not filter DNS to or from the VPC resolver (aws/security-group.ts isResolverDns).
      const dns = dir === 'egress' ? `-d ${formatIpv4(vpc.resolver)}/32` : `-s ${formatIpv4(vpc.resolver)}/32`;
      for (const proto of ['udp', 'tcp']) add(c, `${dns} -p ${proto} -m ${proto} --${dir === 'egress' ? 'dport' : 'sport'} 53 ${cmt('VPC resolver DNS: not filtered by security groups')} -j RETURN`);
      for (const g of eni.groups) {
        g[dir].forEach((r: SgRule, i) => {
          const peers = r.cidr !== undefined ? [cidr(r.cidr)] : members(r.sg!);
          for (const peer of peers) for (const m of protoMatch(r.proto, r.ports)) add(c, `${dir === 'egress' ? '-d' : '-s'} ${peer} ${m}${cmt(`${g.id}#${dir}[${i}]`)} -g ${okChain}`);
        });
      }
      add(c, `${cmt(`${eni.groups.map((g) => g.id).join(',') || 'no security group'}: no rule allows (${dir})`)} -j DROP`);
      add(okChain, `-j CONNMARK --or-mark ${bit}`);
    };
    const addrCheck = (c: string, flag: '-s' | '-d') => {
      chain(c);
      for (const a of eni.addresses) add(c, `${flag} ${formatIpv4(a)}/32 -j RETURN`);
      for (const pf of eni.prefixes) add(c, `${flag} ${formatPrefix(pf)} -j RETURN`);
      add(c, `${cmt(`${eni.id} sourceDestCheck: true`)} -j DROP`);
    };

    // Leaving the interface.
    const out = `O${port.bit}`;
    chain(out);
    if (eni.sourceDestCheck) {
      addrCheck(`OS${port.bit}`, '-s');
      add(out, `-j OS${port.bit}`);
    }
    sgChain(`OG${port.bit}`, `OK${port.bit}`, 'egress');
    add(out, `-j OG${port.bit}`);
    const l2 = enis.filter((e) => e.subnet === eni.subnet).flatMap((e) => e.addresses);
    for (const a of [...l2, vpc.resolver]) add(out, `-d ${formatIpv4(a)}/32 -j RETURN`);
    add(out, `-j ${aclChain(eni.subnet, 'E')}`);
    forward.push(`-i ${d} -j ${out}`);

    // Entering the interface.
    const inn = `I${port.bit}`;
    chain(inn);
    for (const other of enis.filter((e) => e.subnet === eni.subnet)) add(inn, `-i ${ctx.ports.get(other)!.dev} -g I${port.bit}S`);
    add(inn, `-i ${ctx.resolvers.get(vpc.vpc.id)!.routerDev} -g I${port.bit}S`);
    add(inn, `-j ${aclChain(eni.subnet, 'I')}`);
    add(inn, `-g I${port.bit}S`);
    chain(`I${port.bit}S`);
    sgChain(`IG${port.bit}`, `IK${port.bit}`, 'ingress');
    add(`I${port.bit}S`, `-j IG${port.bit}`);
    if (eni.sourceDestCheck) {
      addrCheck(`ID${port.bit}`, '-d');
      add(`I${port.bit}S`, `-j ID${port.bit}`);
    }
    forward.push(`-o ${d} -j ${inn}`);
  }

  // Peerings: only the two VPCs' own addresses cross.
  for (const [pcxId, sides] of ctx.peerings) {
    const mine = sides.get(vpc.vpc.id);
    if (!mine) continue;
    const pcx = ctx.w.peerings.get(pcxId)!;
    const otherId = pcx.requester === vpc.vpc.id ? pcx.accepter : pcx.requester;
    const other = ctx.w.vpcs.get(otherId)!;
    const c = `P${mine.routerDev}`;
    chain(c);
    chain(`${c}S`);
    if (pcx.status !== 'active') add(c, `${cmt(`${pcxId} is ${pcx.status}`)} -j DROP`);
    for (const b of other.blocks) add(c, `-d ${formatPrefix(b)} -g ${c}S`);
    add(c, `${cmt(`${pcxId}: destination outside ${otherId}`)} -j DROP`);
    for (const b of vpc.blocks) add(`${c}S`, `-s ${formatPrefix(b)} -j RETURN`);
    add(`${c}S`, `${cmt(`${pcxId}: source outside ${vpc.vpc.id}`)} -j DROP`);
    forward.splice(0, 0, `-o ${mine.routerDev} -j ${c}`);
  }
  // Order: leaving checks, then peering, then entering (the model's order; all are filters).
  const leaving = forward.filter((f) => f.startsWith('-i'));
  const peering = forward.filter((f) => f.startsWith('-o x'));
  const entering = forward.filter((f) => f.startsWith('-o e'));
  return [
    '*filter',
    ':INPUT DROP [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT DROP [0:0]',
    ...chains,
    ...[...leaving, ...peering, ...entering].map((f) => `-A FORWARD ${f}`),
    '-A FORWARD -j ACCEPT',
    ...rules,
    'COMMIT',
    '',
  ].join('\n');
}

/** iptables protocol/port words for an AWS rule (src/aws/rule-match.ts semantics), each ending in a space. */
export function protoMatch(proto: RuleProto, ports: PortRange | undefined): string[] {
  const name = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 ? 'icmp' : proto;
  if (name === 'all') return [''];
  if (name === 'tcp' || name === 'udp') {
    const all = ports === undefined || (ports.from === 0 && ports.to === 65535);
    return [`-p ${name} ${all ? '' : `-m ${name} --dport ${ports.from === ports.to ? ports.from : `${ports.from}:${ports.to}`} `}`];
  }
  return [`-p ${name} `];
}

function cidr(text: string): string {
  return formatPrefix(parseCidr(text, { nonAligned: 'mask' }));
}

function describeNacl(r: NaclRule): string {
  return `${r.action} ${r.proto}${r.ports ? ` ${r.ports.from}-${r.ports.to}` : ''} ${r.cidr}`;
}
