/**
 * Lays the topology out with ELK (elkjs, layered algorithm): nested boxes
 * sized from their text, links routed orthogonally. Returns absolute
 * coordinates for svg.ts.
 */
import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK as ElkApi, ElkNode, ElkExtendedEdge } from 'elkjs/lib/elk-api.js';
import type { TopoEdge, TopoNode, Topology } from './topology.js';

/** A box placed on the page (absolute coordinates). */
export interface PlacedNode {
  node: TopoNode;
  x: number;
  y: number;
  width: number;
  height: number;
  depth: number;
}

/** A link as a polyline of absolute points. */
export interface PlacedEdge {
  edge: TopoEdge;
  points: { x: number; y: number }[];
}

export interface Placed {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

const CHAR = 7.2; // average glyph width of the 12px UI font, px
const LINE = 16;
const PAD = 10;

// elk.bundled.js is CommonJS: Node hands its module.exports (the constructor) to a default import.
type ElkConstructor = new () => ElkApi;
const ELK = ((elkBundled as unknown as { default?: ElkConstructor }).default ?? (elkBundled as unknown as ElkConstructor));

function leafSize(n: TopoNode) {
  const widest = Math.max(...n.label.map((l) => l.length));
  return { width: Math.max(90, Math.ceil(widest * CHAR) + 2 * PAD), height: n.label.length * LINE + 2 * PAD };
}

function toElk(n: TopoNode): ElkNode {
  if (!n.children.length) return { id: n.id, ...leafSize(n) };
  const header = n.label.length * LINE + PAD;
  const widest = Math.max(...n.label.map((l) => l.length));
  return {
    id: n.id,
    layoutOptions: {
      'elk.padding': `[top=${header + PAD},left=${PAD},bottom=${PAD},right=${PAD}]`,
      'elk.direction': 'DOWN',
      'elk.nodeSize.constraints': 'MINIMUM_SIZE',
      'elk.nodeSize.minimum': `(${Math.ceil(widest * CHAR) + 2 * PAD},${header + 40})`,
      'elk.spacing.nodeNode': '14',
    },
    children: n.children.map(toElk),
  };
}

/** Places every box and link; deterministic for a given topology. */
export async function layoutTopology(t: Topology): Promise<Placed> {
  const elk = new ELK();
  const edges: ElkExtendedEdge[] = t.edges.map((e) => ({ id: e.id, sources: [e.from], targets: [e.to] }));
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.spacing.nodeNode': '40',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.padding': '[top=20,left=20,bottom=20,right=20]',
    },
    children: t.nodes.map(toElk),
    edges,
  };
  const out = await elk.layout(graph);
  const byId = new Map<string, TopoNode>();
  const index = (n: TopoNode) => (byId.set(n.id, n), n.children.forEach(index));
  t.nodes.forEach(index);
  const nodes: PlacedNode[] = [];
  const offsets = new Map<string, { x: number; y: number }>([['root', { x: 0, y: 0 }]]);
  const walk = (n: ElkNode, ox: number, oy: number, depth: number) => {
    for (const c of n.children ?? []) {
      const x = ox + (c.x ?? 0);
      const y = oy + (c.y ?? 0);
      offsets.set(c.id, { x, y });
      nodes.push({ node: byId.get(c.id)!, x, y, width: c.width ?? 0, height: c.height ?? 0, depth });
      walk(c, x, y, depth + 1);
    }
  };
  walk(out, 0, 0, 0);
  const edgesById = new Map(t.edges.map((e) => [e.id, e]));
  const placedEdges: PlacedEdge[] = [];
  const collect = (n: ElkNode) => {
    const o = offsets.get(n.id) ?? { x: 0, y: 0 };
    for (const e of (n.edges ?? []) as ElkExtendedEdge[]) {
      // ELK gives edge coordinates relative to the edge's container.
      const c = offsets.get((e as { container?: string }).container ?? n.id) ?? o;
      const points = (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]).map((p) => ({ x: c.x + p.x, y: c.y + p.y }));
      placedEdges.push({ edge: edgesById.get(e.id)!, points });
    }
    (n.children ?? []).forEach(collect);
  };
  collect(out);
  return { width: out.width ?? 0, height: out.height ?? 0, nodes, edges: placedEdges };
}
