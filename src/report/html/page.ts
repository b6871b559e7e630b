/**
 * The HTML report: one self-contained page (inline CSS, script and SVG; a
 * Content-Security-Policy that allows no request at all), with the topology
 * picture, every finding with its evidence traces hop by hop, and the fixes
 * proven on a model copy. Everything from inputs goes through esc().
 */
import type { PacketView } from '../../net/packet.js';
import type { Finding } from '../../doctor/types.js';
import type { FindingFixes, Proof } from '../../fix/prove.js';
import type { Hop, Trace } from '../../trace/types.js';
import { hopLabel } from '../text.js';
import { esc } from './escape.js';
import type { Callout } from './svg.js';
import { PAGE_CSS, PAGE_SCRIPT } from './assets.js';

/** What the page shows. */
export interface HtmlReportInput {
  /** The input's name (file or folder) as given. */
  estate: string;
  findings: Finding[];
  fixes: FindingFixes[];
  /** Loader notes (derived, assumed, left out), one line each. */
  notes: string[];
  /** Maps a hop's `at` to the picture element showing it. */
  elementOf: (at: string) => string | undefined;
}

/** Evidence traces shown per finding (the rest are in `podpath doctor -o json`). */
const MAX_EVIDENCE = 3;

function pkt(p: PacketView): string {
  return p.proto === 'icmp' ? `${p.src} > ${p.dst} icmp` : `${p.src}:${p.sport} > ${p.dst}:${p.dport} ${p.proto}`;
}

/** The element of the hop that decided a trace's outcome (its last non-accepting forward hop). */
function decidingHop(t: Trace): number {
  const i = t.forward.findIndex((h) => h.decision === 'drop' || h.decision === 'reject' || h.decision === 'unknown' || h.decision === 'no-route');
  return i >= 0 ? i : t.forward.length - 1;
}

/** The callouts for the picture: one per shown evidence trace. */
export function calloutsOf(input: HtmlReportInput): Callout[] {
  return input.findings.flatMap((f, i) => f.evidence.slice(0, MAX_EVIDENCE).flatMap((t, j) => {
    const hop = t.forward[decidingHop(t)];
    const el = hop && input.elementOf(hop.at);
    if (!el) return [];
    const causes = [
      ...(t.decidingRule ? [`1. ${t.decidingRule.ref}: ${t.decidingRule.text}`] : []),
      ...t.contributing.map((c, k) => `${k + (t.decidingRule ? 2 : 1)}. ${c.why}`),
    ];
    return [{ trace: `t${i}-${j}`, el, lines: [`${t.flow.src} -> ${t.flow.dst}: ${t.verdict.toUpperCase()} at ${hop.at}`, ...causes] }];
  }));
}

function hopItem(h: Hop, k: number, id: string, el: string | undefined, failing: boolean): string {
  const detail = [
    `<dl class="hop-detail" id="${id}">`,
    `<dt>where</dt><dd>${esc(h.at)} (${esc(h.kind)})</dd>`,
    `<dt>decision</dt><dd>${esc(h.decision)}</dd>`,
    h.rule ? `<dt>deciding rule</dt><dd><code>${esc(h.rule.ref)}</code> <code>${esc(h.rule.text)}</code></dd>` : '<dt>deciding rule</dt><dd>none recorded (no rule decided here)</dd>',
    `<dt>packet in</dt><dd><code>${esc(pkt(h.packetIn))}</code></dd>`,
    `<dt>packet out</dt><dd>${h.packetOut ? `<code>${esc(pkt(h.packetOut))}</code>` : 'none: the trip ended here'}</dd>`,
    ...(h.notes.length ? [`<dt>notes</dt><dd><ul>${h.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></dd>`] : []),
    '</dl>',
  ].join('');
  return `<li class="hop dec-${esc(h.decision)}${failing ? ' failing' : ''}"><button type="button" data-hop="${id}"${el ? ` data-el="${esc(el)}"` : ''}>${k + 1}. ${esc(hopLabel(h))} <span class="at">${esc(h.at)}</span> <span class="dec">${esc(h.decision)}</span></button>${detail}</li>`;
}

function traceBlock(t: Trace, id: string, input: HtmlReportInput): string {
  const fail = decidingHop(t);
  const hops = t.forward.map((h, k) => hopItem(h, k, `${id}-h${k}`, input.elementOf(h.at), k === fail && t.verdict !== 'delivered'));
  const reply = t.reply?.length ? `<h5>reply</h5><ol class="hops">${t.reply.map((h, k) => hopItem(h, k, `${id}-r${k}`, input.elementOf(h.at), false)).join('')}</ol>` : '';
  const causes = [
    ...(t.decidingRule ? [`<li><strong>deciding:</strong> <code>${esc(t.decidingRule.ref)}</code> ${esc(t.decidingRule.text)}</li>`] : []),
    ...t.contributing.map((c) => `<li><strong>also:</strong> <code>${esc(c.rule.ref)}</code> ${esc(c.why)}</li>`),
  ];
  return [
    `<div class="trace" data-trace="${id}">`,
    `<h4><button type="button" class="show-path" data-trace="${id}">show path</button> ${esc(t.flow.src)} (${esc(t.flow.srcIp)}) &rarr; ${esc(t.flow.dst)} (${esc(t.flow.dstIp)}${t.flow.dport ? `:${t.flow.dport}` : ''}) ${esc(t.flow.proto)} <span class="verdict v-${esc(t.verdict)}">${esc(t.verdict.toUpperCase())}</span></h4>`,
    `<p class="why">${esc(t.reason)}</p>`,
    causes.length ? `<ol class="causes">${causes.join('')}</ol>` : '',
    `<h5>forward</h5><ol class="hops">${hops.join('')}</ol>${reply}`,
    '</div>',
  ].join('\n');
}

function proofBlock(p: Proof, combined = false): string {
  const c = p.candidate;
  const artifacts = c.artifacts.map((a) => `<figure><figcaption>${esc(a.kind)}: ${esc(a.how)}</figcaption><pre>${esc(a.text)}</pre></figure>`).join('');
  return `<li class="${p.proven ? 'proven' : 'unproven'}"><strong>${p.proven ? 'proven' : 'not proven'}${combined ? ' (together)' : ''}:</strong> ${esc(c.title)} <span class="blast">(changes: ${esc(c.blastRadius.text)})</span><p>${esc(p.why)}</p>${c.note ? `<p class="note">${esc(c.note)}</p>` : ''}${artifacts}</li>`;
}

function findingBlock(f: Finding, i: number, input: HtmlReportInput): string {
  const fixes = input.fixes.find((x) => x.finding.key === f.key);
  const proofs = fixes ? [...fixes.proofs.map((p) => proofBlock(p)), ...(fixes.combination ? [proofBlock(fixes.combination, true)] : [])] : [];
  return [
    `<article class="finding sev-${esc(f.severity)}" id="f${i}">`,
    `<h3><span class="sev">${esc(f.severity)}</span> ${esc(f.id)} ${esc(f.title)}</h3>`,
    `<p>${esc(f.message)}</p>`,
    `<p class="doc">Read more: <code>${esc(f.doc)}</code></p>`,
    ...f.evidence.slice(0, MAX_EVIDENCE).map((t, j) => traceBlock(t, `t${i}-${j}`, input)),
    f.evidence.length > MAX_EVIDENCE ? `<p class="more">${f.evidence.length - MAX_EVIDENCE} more evidence trace(s): podpath doctor -o json</p>` : '',
    `<h4>fixes</h4>${proofs.length ? `<ul class="fixes">${proofs.join('')}</ul>` : '<p>no candidate fix for this finding</p>'}`,
    '</article>',
  ].join('\n');
}

/** The whole page. */
export function renderHtmlPage(input: HtmlReportInput, svg: string): string {
  const summary = input.findings.length ? `${input.findings.length} finding(s)` : 'no findings';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No request of any kind: everything the page needs is inline.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>podpath report: ${esc(input.estate)}</title>`,
    `<style>${PAGE_CSS}</style></head><body>`,
    `<header><h1>podpath report</h1><p>input: <code>${esc(input.estate)}</code> &middot; ${summary}</p></header>`,
    '<main>',
    `<section id="topology"><h2>Topology</h2><p class="hint">Click a hop below to see it in the picture and its deciding rule; the path of the selected trace is highlighted, its deciding hop in red.</p><div class="picture">${svg}</div><aside id="detail" aria-live="polite"><p>Select a hop.</p></aside></section>`,
    `<section id="findings"><h2>Findings (${input.findings.length})</h2>${input.findings.map((f, i) => findingBlock(f, i, input)).join('\n') || '<p>No findings: every traced pair behaves as expected.</p>'}</section>`,
    input.notes.length ? `<section id="notes"><h2>Input notes</h2><ul>${input.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>` : '',
    '</main>',
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
