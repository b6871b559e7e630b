/** The HTML report, end to end: topology, layout, callouts, page. */
import type { Estate } from '../../model/estate.js';
import { topologyOf } from './topology.js';
import { layoutTopology } from './layout.js';
import { drawTopology } from './svg.js';
import { calloutsOf, renderHtmlPage, type HtmlReportInput } from './page.js';

/** Renders the self-contained report page for an estate and its doctor findings and fixes. */
export async function renderHtmlReport(estate: Estate, input: Omit<HtmlReportInput, 'elementOf'>): Promise<string> {
  const topology = topologyOf(estate);
  const full: HtmlReportInput = { ...input, elementOf: topology.elementOf };
  const placed = await layoutTopology(topology);
  return renderHtmlPage(full, drawTopology(placed, calloutsOf(full)));
}
