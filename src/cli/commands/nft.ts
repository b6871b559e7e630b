/**
 * `podpath nft check FILE` and `podpath nft trace FILE [--iptables DUMP] ...`:
 * one node's nftables ruleset (`nft -j list ruleset` JSON or `nft list ruleset`
 * text), alone or together with the node's iptables dump (the two walked in one
 * priority order per hook). Reports reuse the iptables report kinds: a table
 * view per hook entry, named `nft FAMILY TABLE` for nft base chains.
 *
 * check: exit 0 when the input parses (bad input throws: exit 2). trace: exit 0
 * when every branch gets through (and its reply back), 1 otherwise.
 */
import { PodpathError } from '../../model/errors.js';
import type { Diagnostic } from '../../model/diagnostic.js';
import { formatIpv4 } from '../../net/ipv4.js';
import { showPacket } from '../../net/packet.js';
import { readNftFile } from '../../ingest/nft-file.js';
import { readIptablesFile } from '../../ingest/iptables-file.js';
import { walkNodePath, type NodePath, type PathStep } from '../../linux/iptables/node-path.js';
import type { Ruleset } from '../../linux/iptables/types.js';
import type { MergedHookOutcome } from '../../linux/nftables/hook.js';
import { setAsideTables } from '../../linux/nftables/parse.js';
import { ruleRef, type NftRuleset } from '../../linux/nftables/types.js';
import type { NftChainOutcome } from '../../linux/nftables/walk.js';
import type { IptablesBranchView, IptablesCheckReport, IptablesHookView, IptablesTableView, IptablesTraceReport } from '../../report/kinds/iptables.js';
import { endText, overall, packetOf, pkt, type NodePacketOptions } from './iptables.js';
import type { CommandResult } from './result.js';

/** Options of `podpath nft trace`. */
export interface NftTraceOptions extends NodePacketOptions {
  file: string;
  /** The node's iptables-save dump, walked with the nft ruleset. @default none */
  iptables?: string;
  /** Firewall mark the packet arrives with (hex or decimal). @default 0 */
  mark?: string;
}

const formatOf = (rs: NftRuleset) => (rs.format === 'json' ? 'nft -j list ruleset' : 'nft list ruleset');

function setAsideWarnings(rs: NftRuleset): Diagnostic[] {
  return rs.tables.filter((t) => t.family !== 'ip' && t.family !== 'inet').map((t) => ({
    severity: 'warning', file: rs.file, line: t.loc.line ?? 1, text: `table ${t.family} ${t.name}`,
    message: `table ${t.family} ${t.name}: read and set aside (IPv4 traces pass only ip and inet tables)`,
  }));
}

/** `podpath nft check FILE`. */
export function runNftCheck(o: { file: string }): CommandResult {
  const rs = readNftFile(o.file);
  const tables = rs.tables.map((t) => {
    const chains = [...t.chains.values()].map((c) => ({
      name: c.base ? `${c.name} (${c.base.type} hook ${c.base.hook} priority ${c.base.priority})` : c.name,
      builtin: c.base !== undefined, ...(c.base ? { policy: c.base.policy } : {}), rules: c.rules.length,
    }));
    return { name: `${t.family} ${t.name}`, rules: chains.reduce((n, c) => n + c.rules, 0), chains };
  });
  const unknown: IptablesCheckReport['unknown'] = [];
  for (const t of rs.tables) for (const c of t.chains.values()) for (const r of c.rules) {
    const u = r.stmts.find((s) => s.kind === 'unknown');
    if (u && u.kind === 'unknown') unknown.push({ ref: ruleRef(t, c, r), text: r.text, construct: u.construct });
  }
  const report: IptablesCheckReport = {
    kind: 'iptables-check', file: o.file, format: formatOf(rs), tables,
    totals: { tables: tables.length, chains: tables.reduce((n, t) => n + t.chains.length, 0), rules: tables.reduce((n, t) => n + t.rules, 0) },
    unknown, diagnostics: setAsideWarnings(rs), ok: true,
  };
  return { report, exitCode: 0 };
}

function nftTableView(o: NftChainOutcome): IptablesTableView {
  const v: IptablesTableView = {
    table: `nft ${o.table.family} ${o.table.name}`, chain: `${o.chain.name} (priority ${o.chain.base!.priority})`, verdict: o.verdict.toUpperCase(),
    matched: o.matched.map((m) => ({ ref: m.ref, text: m.rule.text })), nearMisses: [], notes: o.notes,
  };
  if (o.rule) v.decidedBy = { ref: o.ref, text: o.rule.text };
  else if (o.verdict !== 'unknown') v.policy = o.verdict.toUpperCase();
  if (o.nat) v.nat = { kind: o.nat.type.toUpperCase(), rule: { ref: o.nat.ref, text: o.nat.rule.text } };
  if (o.unknown) v.unknown = { rule: { ref: o.ref, text: o.rule?.text ?? '' }, construct: o.unknown };
  return v;
}

function hookView(s: PathStep): IptablesHookView {
  const o = s.outcome as MergedHookOutcome;
  const tables: IptablesTableView[] = [];
  const skipped: string[] = [];
  for (const st of o.stages ?? []) {
    if (st.kind === 'nft') tables.push(nftTableView(st.outcome));
    else if (st.kind === 'skipped') skipped.push(`${st.what} skipped: ${st.why}`);
    else {
      const t = st.outcome;
      tables.push({
        table: t.table, chain: t.chain, verdict: t.verdict, matched: t.matched.map((r) => ({ ref: `${r.loc.file}:${r.loc.line}`, text: r.text.trim() })),
        ...(t.rule ? { decidedBy: { ref: `${t.rule.loc.file}:${t.rule.loc.line}`, text: t.rule.text.trim() } } : t.verdict !== 'unknown' ? { policy: t.verdict } : {}),
        ...(t.nat ? { nat: { kind: t.nat.kind, rule: { ref: `${t.nat.rule.loc.file}:${t.nat.rule.loc.line}`, text: t.nat.rule.text.trim() } } } : {}),
        nearMisses: t.nearMisses.map((n) => ({ ref: `${n.rule.loc.file}:${n.rule.loc.line}`, text: n.rule.text.trim(), failed: n.failed })), notes: t.notes ?? [],
      });
    }
  }
  for (const x of o.skippedTables ?? []) skipped.push(`${x.table} skipped: ${x.why}`);
  const ct = o.conntrackNat;
  if (ct) skipped.push(`conntrack at nat priority: ${ct.manip} ${formatIpv4(ct.manip === 'destination' ? ct.before.dst : ct.before.src)} -> ${formatIpv4(ct.manip === 'destination' ? ct.after.dst : ct.after.src)}`);
  skipped.push(...(o.notes ?? []));
  return {
    hook: s.hook, ...(s.inIface ? { in: s.inIface } : {}), ...(s.outIface ? { out: s.outIface } : {}),
    packetIn: showPacket(s.packetIn), packetOut: showPacket(o.packet), verdict: o.verdict, mark: `0x${o.mark.toString(16)}`, tables, skipped,
  };
}

function branchView(p: NodePath): IptablesBranchView {
  const hooks = p.steps.map(hookView);
  const nat = hooks.flatMap((h, i) => h.tables.filter((t) => t.nat).map((t) => ({ kind: t.nat!.kind, hook: h.hook, rule: t.nat!.rule, from: showPacket(p.steps[i]!.packetIn), to: h.packetOut })));
  let reason = endText(p.end, p.packetOut);
  const decider = hooks[hooks.length - 1]?.tables.at(-1);
  if ((p.end.kind === 'dropped' || p.end.kind === 'rejected') && decider) reason += decider.decidedBy ? ` by ${decider.decidedBy.ref} ${decider.decidedBy.text}` : ` by the policy of ${decider.table} ${decider.chain}`;
  const view: IptablesBranchView = { probability: p.probability, outcome: p.end.kind, reason, nat, hooks, ...(p.packetOut ? { packetOut: showPacket(p.packetOut) } : {}) };
  if (p.reply) {
    const r = p.reply;
    const bad = r.end.kind === 'unknown' || r.end.kind === 'dropped' || r.end.kind === 'rejected';
    view.reply = {
      outcome: bad ? r.end.kind : 'returned', reason: bad ? endText(r.end, undefined) : `the reply reaches the client as ${pkt(r.packetOut!)}`,
      packetIn: showPacket(r.steps[0]?.packetIn ?? p.packetOut!), ...(r.packetOut ? { packetOut: showPacket(r.packetOut) } : {}), hooks: r.steps.map(hookView),
    };
  }
  return view;
}

/** `podpath nft trace FILE [--iptables DUMP] --src IP --dst IP[:PORT] (--in IFACE | --local)`. */
export function runNftTrace(o: NftTraceOptions): CommandResult {
  const { packet, dstText, start, addresses } = packetOf(o);
  const mark = o.mark === undefined ? 0 : /^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(o.mark) ? Number(o.mark) >>> 0 : undefined;
  if (mark === undefined) throw new PodpathError('PP_USAGE', `--mark ${o.mark}: not a mark (e.g. 0x01000000)`);
  const nft = readNftFile(o.file);
  let rs: Ruleset = { tables: new Map(), file: '(no iptables dump)' };
  if (o.iptables !== undefined) {
    const parsed = readIptablesFile(o.iptables);
    const e = parsed.diagnostics.find((d) => d.severity === 'error');
    if (e) throw new PodpathError('PP_PARSE', e.message, { file: e.file, line: e.line });
    rs = parsed.value;
  }
  const paths = walkNodePath(rs, {
    packet, start,
    ...(o.out !== undefined ? { outIface: o.out } : {}), addresses, nft, mark,
  });
  const branches = paths.map(branchView);
  const verdict = overall(branches);
  const aside = setAsideTables(nft);
  const report: IptablesTraceReport = {
    kind: 'iptables-trace', file: o.iptables !== undefined ? `${o.file} + ${o.iptables}` : o.file,
    format: `${formatOf(nft)}${o.iptables !== undefined ? ' + iptables' : ''}${aside.length ? `; set aside (not IPv4): ${aside.join(', ')}` : ''}`,
    flow: {
      src: o.src, dst: dstText, proto: o.proto, ...(o.proto !== 'icmp' ? { sport: packet.sport, dport: packet.dport } : {}),
      start: o.in !== undefined ? `arriving on ${o.in}` : 'from a local process', ...(o.out !== undefined ? { out: o.out } : {}),
      addresses: addresses.map((a) => `${a.iface}=${formatIpv4(a.addr)}/${a.len}`),
    },
    ...(mark ? { derived: `the packet arrives with mark 0x${mark.toString(16)} (--mark)` } : {}),
    notInInput: o.iptables !== undefined ? (['raw', 'mangle', 'nat', 'filter', 'security'] as const).filter((t) => !rs.tables.has(t)) : ['iptables (no dump given)'],
    verdict, branches, warnings: 0,
  };
  return { report, exitCode: verdict === 'accepted' ? 0 : 1 };
}
