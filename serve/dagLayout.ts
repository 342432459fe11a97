import dagre from "@dagrejs/dagre";
import type { CatalogEntry } from "./catalog.js";

export interface PlacedNode {
  name: string;
  entry: CatalogEntry;
  /** Assertions drawn inside this node, one row each, below its own lines. */
  assertions: CatalogEntry[];
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface PlacedEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}
export interface DagLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 250;
export const NODE_HEIGHT = 56;
export const ASSERTION_ROW = 17;

/**
 * Left-to-right layout of the compiled graph (dagre): sources (bronze declarations) first, then silver and
 * gold by dependency. Assertions are attached to the table they check, as rows inside its node: drawn as nodes
 * of their own, the project's 26 assertions made a column of boxes whose edges crossed the whole picture.
 * Pure: the same graph gives the same picture.
 */
export function layoutDag(entries: CatalogEntry[]): DagLayout {
  const names = new Set(entries.map((e) => e.name));
  const attached = new Map<string, CatalogEntry[]>();
  for (const entry of entries) {
    if (entry.kind !== "assertion" || !entry.checks || !names.has(entry.checks)) continue;
    attached.set(entry.checks, [...(attached.get(entry.checks) ?? []), entry]);
  }
  const isAttached = (e: CatalogEntry) => e.kind === "assertion" && e.checks !== undefined && names.has(e.checks);
  const boxes = entries.filter((e) => !isAttached(e));
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 16, ranksep: 60, marginx: 10, marginy: 10 });
  graph.setDefaultEdgeLabel(() => ({}));
  const height = (e: CatalogEntry) => NODE_HEIGHT + ASSERTION_ROW * (attached.get(e.name)?.length ?? 0);
  for (const entry of boxes) graph.setNode(entry.name, { width: NODE_WIDTH, height: height(entry) });
  const edges: [string, string][] = [];
  for (const entry of boxes) for (const source of entry.dependencies) if (names.has(source) && graph.hasNode(source)) edges.push([source, entry.name]);
  for (const [from, to] of edges) graph.setEdge(from, to);
  dagre.layout(graph);
  const size = graph.graph();
  return {
    nodes: boxes.map((entry) => {
      const node = graph.node(entry.name);
      const h = height(entry);
      return { name: entry.name, entry, assertions: attached.get(entry.name) ?? [], x: node.x - NODE_WIDTH / 2, y: node.y - h / 2, width: NODE_WIDTH, height: h };
    }),
    edges: edges.map(([from, to]) => ({ from, to, points: graph.edge(from, to).points })),
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
  };
}
