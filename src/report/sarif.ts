/**
 * SARIF 2.1.0 output of doctor findings (OASIS SARIF v2.1.0): one run, the
 * catalog as the driver's rules, one result per finding with its level, a
 * physical location (file and line) or a logical one (the AWS resource id),
 * a stable partial fingerprint (the finding key) and the affected pairs and
 * evidence verdicts in the property bag. Loader notes (what was derived,
 * assumed, left out, and the checks that disables) are the invocation's tool
 * execution notifications. Other report kinds have no SARIF form.
 */
import { PodpathError } from '../model/errors.js';
import { CATALOG, docPath } from '../doctor/catalog.js';
import { noteLine } from '../model/load-note.js';
import type { Report } from './model.js';
import type { DoctorReport } from './kinds/doctor.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/**
 * A file path as a SARIF artifact URI: `artifactLocation.uri` is a URI
 * reference (SARIF 2.1.0, 3.4.3 and 3.10.2; RFC 3986), so every path segment
 * is percent-encoded (a space, `#`, `?`, `%`, a control character or a
 * non-ASCII letter in a folder name would otherwise make it invalid or
 * change what it points at). A lone surrogate cannot be encoded: U+FFFD.
 */
export function sarifUri(path: string): string {
  const wellFormed = path.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return wellFormed.split('/').map(encodeURIComponent).join('/');
}

/** The SARIF log object of a doctor report. */
export function sarifLog(r: DoctorReport): Record<string, unknown> {
  const rules = [...CATALOG.values()];
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: {
        name: 'podpath',
        version: '0.1.0',
        rules: rules.map((e) => ({
          id: e.id, name: e.name,
          shortDescription: { text: e.summary },
          help: { text: `See ${docPath(e.id)} in the podpath repository.` },
          defaultConfiguration: { level: e.severity },
        })),
      } },
      invocations: [{
        executionSuccessful: true,
        toolExecutionNotifications: r.notes.map((n) => ({
          level: n.kind === 'warning' ? 'warning' : 'note',
          message: { text: noteLine(n) },
          ...(n.file ? { locations: [{ physicalLocation: { artifactLocation: { uri: sarifUri(n.file) } } }] } : {}),
          properties: { kind: n.kind, ...(n.disables ? { disables: n.disables } : {}) },
        })),
      }],
      results: r.findings.map((f) => ({
        ruleId: f.id,
        ruleIndex: rules.findIndex((e) => e.id === f.id),
        level: f.severity,
        message: { text: `${f.title}. ${f.message}` },
        locations: ['file' in f.location
          ? { physicalLocation: { artifactLocation: { uri: sarifUri(f.location.file) }, region: { startLine: f.location.line } } }
          : { logicalLocations: [{ name: f.location.awsId, kind: 'resource' }] }],
        partialFingerprints: { podpathFindingKey: f.key },
        properties: {
          pairs: f.pairs.map((p) => `${p.src} -> ${p.dst}: ${p.verdict}`),
          evidence: f.evidence.map((t) => `${t.flow.src} -> ${t.flow.dst}: ${t.verdict}${t.decidingRule ? ` (${t.decidingRule.ref})` : ''}`),
        },
      })),
    }],
  };
}

export function renderSarif(r: Report): string {
  if (r.kind !== 'doctor') throw new PodpathError('PP_USAGE', `-o sarif is not available for ${r.kind}`);
  return `${JSON.stringify(sarifLog(r), null, 2)}\n`;
}
