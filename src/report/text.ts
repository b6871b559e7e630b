/**
 * Text output: a hop table a network engineer reads at a glance, with the
 * verdict, the one-sentence reason and the rules that decided on top.
 */
import type { PacketView } from '../net/packet.js';
import type { Hop, Trace } from '../trace/types.js';
import { assertNever } from '../trace/types.js';
import type { DemoScene, Report } from './model.js';
import { iptablesCheckText, iptablesTraceText } from './kinds/iptables.js';
import { collectText, snapshotCheckText } from './kinds/snapshot.js';
import { diffText, doctorText, fixText, planText } from './kinds/doctor.js';
import { labText } from './kinds/lab.js';

export function renderText(r: Report): string {
  switch (r.kind) {
    case 'traces':
      return r.traces.map(traceText).join('\n');
    case 'demo':
      return demoText(r.estate, r.summary, r.scenes);
    case 'iptables-check':
      return iptablesCheckText(r);
    case 'iptables-trace':
      return iptablesTraceText(r);
    case 'snapshot-check':
      return snapshotCheckText(r);
    case 'collect':
      return collectText(r);
    case 'doctor':
      return doctorText(r);
    case 'fix':
      return fixText(r);
    case 'plan':
      return planText(r);
    case 'diff':
      return diffText(r);
    case 'lab':
      return labText(r);
    case 'html-report':
      return `wrote ${r.file}: ${r.estate}, ${r.findings} finding(s), ${r.proven} with a proven fix (${Math.ceil(r.bytes / 1024)} KiB, self-contained)\n`;
    default:
      return assertNever(r);
  }
}

function demoText(estate: string, summary: string[], scenes: DemoScene[]): string {
  const out = [`podpath demo: the seed scenario (${estate})`, ''];
  scenes.forEach((s, i) => {
    out.push(`== ${i + 1}. ${s.title}`);
    if (s.change) out.push(`   model copy: ${s.change}`);
    out.push('');
    for (const t of s.traces) out.push(indent(traceText(t), '   '));
  });
  out.push('== Summary', ...summary.map((l) => `   ${l}`), '');
  return out.join('\n');
}

/** One trace as text. */
export function traceText(t: Trace): string {
  const f = t.flow;
  const out = [
    `${f.src} (${f.srcIp}) -> ${f.dst} (${f.dstIp}${f.dport ? `:${f.dport}` : ''}) ${f.proto}${t.probability !== undefined ? `   [branch p=${t.probability}]` : ''}`,
    `verdict: ${t.verdict.toUpperCase()}   client sees: ${t.clientSees}`,
    `why: ${t.reason}`,
  ];
  if (t.decidingRule) out.push(`deciding rule: ${t.decidingRule.ref}  ${t.decidingRule.text}`);
  for (const c of t.contributing) out.push(`also: ${c.rule.ref}  ${c.why}`);
  out.push('', 'forward:', ...hopTable(t.forward));
  if (t.reply) out.push('', 'reply:', ...hopTable(t.reply));
  out.push('');
  return out.join('\n');
}

function hopTable(hops: Hop[]): string[] {
  const rows = hops.map((h, i) => [String(i + 1), hopLabel(h), h.at, packet(h.packetIn, h.packetOut), h.decision, h.rule ? h.rule.ref : '']);
  const widths = [2, 0, 0, 0, 0].map((min, c) => Math.max(min, ...rows.map((r) => r[c]!.length)));
  const lines: string[] = [];
  rows.forEach((r, i) => {
    lines.push(`  ${r.slice(0, 5).map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}  ${r[5]}`.trimEnd());
    for (const note of notes(hops[i]!)) lines.push(`${' '.repeat(6)}- ${note}`);
  });
  return lines;
}

/** A hop's short label: `netfilter POSTROUTING`, `peering`, `sg ingress`. */
export function hopLabel(h: Hop): string {
  switch (h.kind) {
    case 'pod':
      return `pod ${h.direction}`;
    case 'host':
      return `host ${h.direction}`;
    case 'node-netfilter':
      return `netfilter ${h.hook}`;
    case 'node-route':
      return `node route${h.outIface ? ` -> ${h.outIface}` : ''}`;
    case 'eni':
      return `eni src/dst ${h.direction}`;
    case 'security-group':
      return `sg ${h.direction}`;
    case 'nacl':
      return `nacl ${h.direction}`;
    case 'route-table':
      return 'route table';
    case 'peering':
      return 'peering';
    case 'igw':
      return 'internet gw';
    case 'nat-gateway':
      return 'nat gateway';
    case 'tgw':
      return 'transit gw';
    case 'vgw':
      return 'virtual private gw';
    case 'target':
      return 'target';
    default:
      return assertNever(h);
  }
}

function notes(h: Hop): string[] {
  const out = [...h.notes];
  if (h.rule && h.decision !== 'accept') out.unshift(`rule: ${h.rule.text}`);
  if (h.kind === 'node-netfilter') {
    for (const m of h.nearMisses) out.push(`did not match: ${m.rule.ref} \`${m.rule.text}\` (${m.failed})`);
  }
  return out;
}

function packet(a: PacketView, b?: PacketView): string {
  const one = (p: PacketView) => (p.proto === 'icmp' ? `${p.src} > ${p.dst}` : `${p.src}:${p.sport} > ${p.dst}:${p.dport}`);
  const inText = one(a);
  if (!b) return inText;
  const outText = one(b);
  return inText === outText ? inText : `${inText} => ${outText}`;
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');
}
