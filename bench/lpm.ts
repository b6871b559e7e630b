/**
 * LPM: a VPC route table's longest-prefix match through its compiled trie
 * (src/aws/route-table.ts) against a linear scan of the same routes (the
 * longest containing prefix wins), on a table of 1,000 routes, median of
 * paired rounds.
 */
import { performance } from 'node:perf_hooks';
import { compileRouteTable, lookupRoute } from '../src/aws/route-table.js';
import { contains } from '../src/net/prefix.js';
import { formatIpv4, parseIpv4 } from '../src/net/ipv4.js';
import { median, type Figure } from './figure.js';


/** Runs the figure. */
export function benchLpm(routes = 1000): Figure[] {
  const table = compileRouteTable({
    id: 'rtb-bench', vpc: 'vpc-bench', main: true,
    routes: Array.from({ length: routes }, (_, i) => ({ destination: `${formatIpv4(parseIpv4('10.0.0.0') + i * 1024)}/22`, target: `pcx-${i}` })),
  } as Parameters<typeof compileRouteTable>[0], { id: 'vpc-bench', cidrBlocks: ['172.16.0.0/16'] } as Parameters<typeof compileRouteTable>[1]);
  const probes = Array.from({ length: 4096 }, (_, i) => (parseIpv4('10.0.0.0') + ((i * 2654435761) % (routes * 1024 + 65536))) >>> 0);
  const linear = (ip: number) => {
    let best: (typeof table.routes)[number] | undefined;
    for (const r of table.routes) if (contains(r.prefix, ip) && (!best || r.prefix.len > best.prefix.len)) best = r;
    return best;
  };
  let sink = 0;
  const round = (fn: (ip: number) => unknown, passes: number) => {
    const t0 = performance.now();
    for (let p = 0; p < passes; p++) for (const ip of probes) if (fn(ip)) sink++;
    return ((performance.now() - t0) * 1e3) / (passes * probes.length);
  };
  round((ip) => lookupRoute(table, ip), 5);
  round(linear, 1);
  const trie: number[] = [];
  const scan: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < 9; r++) {
    const a = round((ip) => lookupRoute(table, ip), 20);
    const b = round(linear, 1);
    trie.push(a);
    scan.push(b);
    ratios.push(b / a);
  }
  if (sink < 0) throw new Error('unreachable');
  const r2 = (x: number) => Math.round(x * 1000) / 1000;
  return [{ name: `LPM (${routes} routes)`, value: r2(median(trie)), unit: 'us/lookup', baseline: `linear scan ${r2(median(scan))} us`, ratio: Math.round(median(ratios) * 10) / 10 }];
}
