/**
 * Draws a laid-out topology as inline SVG: nested boxes for VPCs, subnets and
 * hosts, links for peerings, transit and internet gateways, and per evidence
 * trace a callout at the hop that decided, stacking its causes. Every element
 * carries `data-el` so the page's script can highlight a path hop by hop.
 */
import type { Placed } from './layout.js';
import { esc } from './escape.js';

/** A callout: the causes of one trace's outcome, pinned to the element that decided. */
export interface Callout {
  trace: string;
  el: string;
  lines: string[];
}

const LINE = 16;
const PAD = 10;
const CALLOUT_CHARS = 96;

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The SVG element (no XML prolog) for the page. */
export function drawTopology(p: Placed, callouts: Callout[]): string {
  const calloutWidth = CALLOUT_CHARS * 6.6 + 2 * PAD;
  const calloutHeight = Math.max(0, ...callouts.map((c) => c.lines.length)) * LINE + 2 * PAD;
  const width = Math.ceil(p.width + 20);
  const height = Math.ceil(p.height + calloutHeight + 30);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" id="topo" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="network topology">`,
  ];
  const boxes = [...p.nodes].sort((a, b) => a.depth - b.depth);
  for (const b of boxes) {
    const n = b.node;
    out.push(`<g class="box ${n.kind}" data-el="${esc(n.id)}"><title>${esc(n.label.join('\n'))}</title>`);
    out.push(`<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="6"/>`);
    n.label.forEach((l, i) => out.push(`<text x="${b.x + PAD}" y="${b.y + PAD + (i + 1) * LINE - 4}"${i === 0 ? ' class="name"' : ''}>${esc(l)}</text>`));
    out.push('</g>');
  }
  const centers = new Map<string, { x: number; y: number }>();
  for (const b of p.nodes) centers.set(b.node.id, { x: b.x + b.width, y: b.y });
  for (const e of p.edges) {
    if (!e.points.length) continue;
    const d = e.points.map((pt, i) => `${i ? 'L' : 'M'}${pt.x.toFixed(1)},${pt.y.toFixed(1)}`).join(' ');
    const mid = e.points[Math.floor((e.points.length - 1) / 2)]!;
    const next = e.points[Math.floor((e.points.length - 1) / 2) + 1] ?? mid;
    const mx = (mid.x + next.x) / 2;
    const my = (mid.y + next.y) / 2;
    centers.set(e.edge.id, { x: mx, y: my });
    out.push(`<g class="link ${e.edge.kind}" data-el="${esc(e.edge.id)}"><title>${esc(e.edge.id)}</title><path d="${d}"/>`);
    if (e.edge.kind === 'peering') out.push(`<circle cx="${mx}" cy="${my}" r="7"/><text x="${mx}" y="${my - 12}" text-anchor="middle">${esc(e.edge.id.replace(/^pcx:/, ''))}</text>`);
    out.push('</g>');
  }
  const top = p.height + 10;
  for (const c of callouts) {
    const at = centers.get(c.el);
    const x = Math.min(Math.max(10, (at?.x ?? 20) - calloutWidth / 2), Math.max(10, width - calloutWidth - 10));
    out.push(`<g class="callout" data-trace="${esc(c.trace)}">`);
    if (at) out.push(`<path class="pin" d="M${at.x},${at.y} L${at.x},${top}"/>`);
    out.push(`<rect x="${x}" y="${top}" width="${calloutWidth}" height="${c.lines.length * LINE + 2 * PAD}" rx="6"/>`);
    c.lines.forEach((l, i) => out.push(`<text x="${x + PAD}" y="${top + PAD + (i + 1) * LINE - 4}"${i === 0 ? ' class="name"' : ''}>${esc(clip(l, CALLOUT_CHARS))}<title>${esc(l)}</title></text>`));
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
