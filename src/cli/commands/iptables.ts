/**
 * `podpath iptables check FILE` and `podpath iptables trace FILE ...`: one
 * node's iptables on its own (iptables-save, `-S` or `-L -n -v` text; the
 * format is detected). Returns reports; never prints.
 *
 * check: exit 0 when the input parses, 2 when it has errors (the report lists
 * them with file:line). trace: exit 0 when every branch gets through (and its
 * reply back), 1 otherwise; bad input or usage throws (exit 2).
 */
import { PodpathError } from '../../model/errors.js';
import type { Diagnostic } from '../../model/diagnostic.js';
import { formatIpv4, isValidIpv4, parseIpv4 } from '../../net/ipv4.js';
import { showPacket, type Packet, type Proto } from '../../net/packet.js';
import { readIpsetFile, readIptablesFile } from '../../ingest/iptables-file.js';
import { isTableName } from '../../linux/iptables/builder.js';
import { walkNodePath, type NodeAddress, type NodePath, type PathEnd, type PathStep } from '../../linux/iptables/node-path.js';
import type { Rule, Ruleset, TableName } from '../../linux/iptables/types.js';
import type {
  IptablesBranchView, IptablesCheckReport, IptablesHookView, IptablesRuleView, IptablesTraceReport,
} from '../../report/kinds/iptables.js';
import type { CommandResult } from './result.js';
import { readNodeFolder, type NodeFolder } from '../../ingest/node-folder.js';
import { DEFAULT_RULES, lookupPolicyRoute } from '../../linux/route/ip-rule.js';

export interface IptablesCheckOptions {
  file: string;
  /** Table a `-S`/`-L` listing holds (listings do not say). @default inferred from the listing */
  table?: string;
}

/** The packet options of the node trace commands (`iptables trace`, `nft trace`). */
export interface NodePacketOptions {
  src: string;
  dst: string;
  proto: Proto;
  /** Interface the packet arrives on (forwarded, or delivered locally when the destination is a node address). */
  in?: string;
  /** The packet comes from a local process. */
  local?: boolean;
  /** Interface a forwarded or sent packet leaves on. @default not known: `-o` matches and MASQUERADE give unknown */
  out?: string;
  /** The node's addresses, `IFACE=IP/LEN` (repeatable). @default none: only 127.0.0.0/8 is known to be local */
  addr?: string[];
  /** Source port. @default 40000 */
  sport?: number;
}

export interface IptablesTraceOptions extends NodePacketOptions {
  /** The dump; with `node`, that folder's iptables-save.txt. */
  file?: string;
  /** A snapshot node folder: dump, addresses, routes and policy rules from its files. @default none */
  node?: string;
  table?: string;
  /** `ipset save` output of the node. @default none: `-m set` answers unknown */
  ipset?: string;
}

function tableOption(t: string | undefined): TableName | undefined {
  if (t === undefined) return undefined;
  if (!isTableName(t)) throw new PodpathError('PP_USAGE', `--table ${t}: not a table (raw, mangle, nat, filter, security)`);
  return t;
}

const ref = (r: Rule): IptablesRuleView => ({ ref: `${r.loc.file}:${r.loc.line}`, text: r.text.trim() });

/** Rules podpath keeps but does not understand. */
function unknownRules(rs: Ruleset): IptablesCheckReport['unknown'] {
  const out: IptablesCheckReport['unknown'] = [];
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        const m = r.matches.find((x) => x.unknown !== undefined);
        const construct = m?.unknown ?? r.target?.unknown;
        if (construct !== undefined) out.push({ ...ref(r), construct });
      }
    }
  }
  return out;
}

/** `podpath iptables check FILE`. */
export function runIptablesCheck(o: IptablesCheckOptions): CommandResult {
  const parsed = readIptablesFile(o.file, { table: tableOption(o.table) });
  const rs = parsed.value;
  const tables = [...rs.tables.values()].map((t) => {
    const chains = [...t.chains.values()].map((c) => ({ name: c.name, builtin: c.builtin, ...(c.policy ? { policy: c.policy } : {}), rules: c.rules.length }));
    return { name: t.name, rules: chains.reduce((n, c) => n + c.rules, 0), chains };
  });
  const ok = !parsed.diagnostics.some((d) => d.severity === 'error');
  const report: IptablesCheckReport = {
    kind: 'iptables-check', file: o.file, format: rs.family === 'ipv6' ? parsed.format.replace('iptables', 'ip6tables') : parsed.format,
    ...(parsed.table ? { table: parsed.table } : {}),
    ...(rs.derived ? { derived: rs.derived } : {}),
    tables,
    totals: { tables: tables.length, chains: tables.reduce((n, t) => n + t.chains.length, 0), rules: tables.reduce((n, t) => n + t.rules, 0) },
    unknown: unknownRules(rs),
    diagnostics: parsed.diagnostics,
    ok,
  };
  return { report, exitCode: ok ? 0 : 2 };
}

/** The packet a node trace command is asked about, where it starts, and `--dst` without its port; one-line usage errors. */
export function packetOf(o: NodePacketOptions): { packet: Packet; dstText: string; start: Parameters<typeof walkNodePath>[1]['start']; addresses: NodeAddress[] } {
  if ((o.in === undefined) === !o.local) throw new PodpathError('PP_USAGE', 'give exactly one of --in IFACE (the packet arrives on IFACE) or --local (a local process sends it)');
  const src = address(o.src, '--src');
  const [dstText, portText] = o.dst.split(':');
  const dst = address(dstText ?? '', '--dst');
  if (o.proto !== 'icmp' && portText === undefined) throw new PodpathError('PP_USAGE', `--dst ${o.dst}: give the destination port for ${o.proto}, as IP:PORT`);
  const dport = o.proto === 'icmp' ? 0 : port(portText!, '--dst port');
  const sport = o.proto === 'icmp' ? 0 : (o.sport ?? 40000);
  return {
    packet: { src, dst, proto: o.proto, sport, dport }, dstText: dstText!,
    start: o.in !== undefined ? { kind: 'arrives', inIface: o.in } : { kind: 'local' }, addresses: (o.addr ?? []).map(parseAddrOption),
  };
}

function address(text: string, what: string): number {
  if (!isValidIpv4(text)) throw new PodpathError('PP_BAD_ADDRESS', `${what} '${text}' is not an IPv4 address`, { hint: 'e.g. 10.244.1.5' });
  return parseIpv4(text);
}

function port(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new PodpathError('PP_USAGE', `${what} '${text}' is not a port (1-65535)`);
  return Number(text);
}

/** `eth0=10.0.0.5/24`. */
export function parseAddrOption(text: string): NodeAddress {
  const m = /^([^=\s]{1,15})=([\d.]+)(?:\/(\d{1,2}))?$/.exec(text);
  if (!m || !isValidIpv4(m[2]!) || Number(m[3] ?? 32) > 32) {
    throw new PodpathError('PP_USAGE', `--addr ${text}: expected IFACE=IP/LEN`, { hint: 'e.g. --addr eth0=172.20.0.23/24' });
  }
  return { iface: m[1]!, addr: parseIpv4(m[2]!), len: Number(m[3] ?? 32) };
}

/** The first error of a parse, as the one-line error the CLI prints. */
function firstError(diagnostics: Diagnostic[]): PodpathError | undefined {
  const e = diagnostics.find((d) => d.severity === 'error');
  return e && new PodpathError('PP_PARSE', e.message, { file: e.file, line: e.line, hint: 'podpath iptables check lists every problem' });
}

/** `10.0.0.1:80`: the address and port conntrack rewrote. */
function showEndpoint(manip: 'source' | 'destination', p: Packet): string {
  const v = showPacket(p);
  return manip === 'destination' ? `${v.dst}${v.dport !== undefined ? `:${v.dport}` : ''}` : `${v.src}${v.sport !== undefined ? `:${v.sport}` : ''}`;
}

function hookView(s: PathStep): IptablesHookView {
  const o = s.outcome;
  const skipped = (o.skippedTables ?? []).map((x) => `${x.table} skipped: ${x.why}`);
  const ct = o.conntrackNat;
  if (ct) skipped.push(`conntrack at nat priority: ${ct.manip} ${showEndpoint(ct.manip, ct.before)} -> ${showEndpoint(ct.manip, ct.after)} (${ct.manip === 'destination' ? 'SNAT' : 'DNAT'} undone)`);
  return {
    hook: s.hook, ...(s.inIface ? { in: s.inIface } : {}), ...(s.outIface ? { out: s.outIface } : {}),
    packetIn: showPacket(s.packetIn), packetOut: showPacket(o.packet), verdict: o.verdict, mark: `0x${o.mark.toString(16)}`,
    tables: o.tables.map((t) => ({
      table: t.table, chain: t.chain, verdict: t.verdict,
      ...(t.rule ? { decidedBy: ref(t.rule) } : t.verdict !== 'unknown' ? { policy: t.verdict } : {}),
      matched: t.matched.map(ref),
      ...(t.nat ? { nat: { kind: t.nat.kind, rule: ref(t.nat.rule) } } : {}),
      ...(t.unknown ? { unknown: { rule: ref(t.unknown.rule), construct: t.unknown.construct } } : {}),
      nearMisses: t.nearMisses.map((n) => ({ ...ref(n.rule), failed: n.failed })),
      notes: t.notes ?? [],
    })),
    skipped,
  };
}

export const pkt = (p: Packet): string => (p.proto === 'icmp' ? `${formatIpv4(p.src)} > ${formatIpv4(p.dst)}` : `${formatIpv4(p.src)}:${p.sport} > ${formatIpv4(p.dst)}:${p.dport}`);

export function endText(e: PathEnd, out: Packet | undefined): string {
  switch (e.kind) {
    case 'delivered-locally':
      return `delivered to a local socket as ${pkt(out!)}`;
    case 'forwarded':
      return `forwarded${e.outIface ? ` out ${e.outIface}` : ''} as ${pkt(out!)}`;
    case 'sent':
      return `sent${e.outIface ? ` out ${e.outIface}` : ''} as ${pkt(out!)}`;
    case 'dropped':
    case 'rejected':
      return `${e.kind} in ${e.hook}`;
    case 'unknown':
      return e.reason;
  }
}

function branchView(p: NodePath): IptablesBranchView {
  const nat = p.steps.flatMap((s) => s.outcome.tables.filter((t) => t.nat).map((t) => ({
    kind: t.nat!.kind, hook: s.hook, rule: ref(t.nat!.rule), from: showPacket(s.packetIn), to: showPacket(t.packet),
  })));
  const last = p.steps[p.steps.length - 1];
  const decider = last?.outcome.tables[last.outcome.tables.length - 1];
  let reason = endText(p.end, p.packetOut);
  if ((p.end.kind === 'dropped' || p.end.kind === 'rejected') && decider) {
    reason += decider.rule ? ` by ${decider.rule.loc.file}:${decider.rule.loc.line} ${decider.rule.text.trim()}` : ` by the policy of ${decider.table} ${decider.chain}`;
  }
  const view: IptablesBranchView = {
    probability: p.probability, outcome: p.end.kind, reason, nat, hooks: p.steps.map(hookView),
    ...(p.packetOut ? { packetOut: showPacket(p.packetOut) } : {}),
  };
  if (p.reply) {
    const r = p.reply;
    const first = r.steps[0];
    view.reply = {
      outcome: r.end.kind === 'unknown' || r.end.kind === 'dropped' || r.end.kind === 'rejected' ? r.end.kind : 'returned',
      reason: r.end.kind === 'dropped' || r.end.kind === 'rejected' || r.end.kind === 'unknown' ? endText(r.end, undefined) : `the reply reaches the client as ${pkt(r.packetOut!)}${nat.length ? '; conntrack undid the NAT' : ''}`,
      packetIn: showPacket(first ? first.packetIn : p.packetOut!),
      ...(r.packetOut ? { packetOut: showPacket(r.packetOut) } : {}),
      hooks: r.steps.map(hookView),
    };
  }
  return view;
}

export function overall(branches: IptablesBranchView[]): IptablesTraceReport['verdict'] {
  const each = branches.map((b) => {
    if (b.outcome === 'dropped' || b.outcome === 'rejected' || b.outcome === 'unknown') return b.outcome;
    return b.reply && b.reply.outcome !== 'returned' ? b.reply.outcome : 'accepted';
  });
  return each.every((v) => v === each[0]) ? (each[0] as IptablesTraceReport['verdict']) : 'mixed';
}

/** `podpath iptables trace FILE --src IP --dst IP[:PORT] [--proto P] (--in IFACE | --local)`. */
export function runIptablesTrace(o: IptablesTraceOptions): CommandResult {
  const { packet, dstText, start, addresses: given } = packetOf(o);
  if ((o.file === undefined) === (o.node === undefined)) throw new PodpathError('PP_USAGE', 'give the iptables dump FILE or --node DIR (a snapshot node folder), one of them');
  const folder = o.node !== undefined ? readNodeFolder(o.node) : undefined;
  const file = folder?.iptablesFile ?? o.file!;
  const addresses = [...given, ...(folder ? folderAddresses(folder) : [])];
  const parsed = readIptablesFile(file, { table: tableOption(o.table) });
  const err = firstError(parsed.diagnostics);
  if (err) throw err;
  if (parsed.value.family === 'ipv6') throw new PodpathError('PP_USAGE', 'these are ip6tables rules: podpath traces IPv4 packets (podpath iptables check reads them)', { file: o.file });
  const ipsetFile = o.ipset ?? folder?.ipsetFile;
  const ipsets = ipsetFile !== undefined ? readIpsetFile(ipsetFile) : undefined;
  const routeOut = folder?.routes ? routeOutOf(folder) : undefined;
  const paths = walkNodePath(parsed.value, {
    packet, start,
    ...(o.out !== undefined ? { outIface: o.out } : {}), addresses, ...(ipsets ? { ipsets } : {}), ...(routeOut ? { routeOut } : {}),
  });
  const branches = paths.map(branchView);
  const verdict = overall(branches);
  const report: IptablesTraceReport = {
    kind: 'iptables-trace', file, format: parsed.format,
    ...(parsed.value.derived ? { derived: parsed.value.derived } : {}),
    flow: {
      src: o.src, dst: dstText, proto: o.proto, ...(o.proto !== 'icmp' ? { sport: packet.sport, dport: packet.dport } : {}),
      start: o.in !== undefined ? `arriving on ${o.in}` : 'from a local process',
      ...(o.out !== undefined ? { out: o.out } : routeOut ? { out: `chosen by the node's routes (${folder!.dir}/ip-route.txt)` } : {}),
      addresses: addresses.map((a) => `${a.iface}=${formatIpv4(a.addr)}/${a.len}`),
    },
    notInInput: (['raw', 'mangle', 'nat', 'filter', 'security'] as const).filter((t) => !parsed.value.tables.has(t)),
    verdict, branches, warnings: parsed.diagnostics.length,
  };
  const missing = folder?.missing.length ? [`${folder.dir}: no ${folder.missing.join(', no ')}`] : [];
  // Native nftables chains see the same packets: an iptables-only walk of such a node is not the whole path.
  const nft = folder?.nftFile ? [`${folder.nftFile}: the node's nftables ruleset, not read by this iptables-only trace (native chains there also see the packet): podpath nft trace ${folder.nftFile} --iptables ${folder.iptablesFile} ... or podpath trace --snapshot walks both`] : [];
  return { report, exitCode: verdict === 'accepted' ? 0 : 1, stderr: [...nft, ...missing] };
}

/** The node's addresses from its ip-addr.txt. */
function folderAddresses(f: NodeFolder): NodeAddress[] {
  return (f.interfaces ?? []).flatMap((i) => i.addresses.map((a) => ({ iface: i.name, addr: a.address, len: a.prefix.len })));
}

/** The out device the node's policy rules and routes choose (none when they do not decide one device). */
function routeOutOf(f: NodeFolder): NonNullable<Parameters<typeof walkNodePath>[1]['routeOut']> {
  return (p, iif, mark) => {
    const r = lookupPolicyRoute(f.rules ?? DEFAULT_RULES, f.routes!, { src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport, mark, iif });
    if (r.kind !== 'route') return undefined;
    if (r.route.dev) return r.route.dev;
    // A multipath route: known only when every next hop leaves on the same device.
    const devs = new Set((r.route.nexthops ?? []).map((n) => n.dev));
    return devs.size === 1 ? [...devs][0] : undefined;
  };
}
