/**
 * JUnit XML output of doctor (the Ant/Jenkins dialect CI systems read): one
 * test suite, one test case per catalog check that found nothing (passed) and
 * one per finding (a failure whose type is the severity, whose message is the
 * title and whose body holds the explanation, the affected pairs and the
 * evidence verdicts). Other report kinds have no JUnit form.
 */
import { PodpathError } from '../model/errors.js';
import { CATALOG } from '../doctor/catalog.js';
import { neutraliseControls } from './sanitize.js';
import type { Report } from './model.js';

/**
 * What XML 1.0 does not allow in a document even as a character reference
 * (XML 1.0, 2.2 Characters: Char excludes C0 controls but tab, newline and
 * carriage return; U+FFFE, U+FFFF; a lone surrogate cannot be encoded).
 */
const NOT_XML_CHAR = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * XML-escapes text for attributes and element content. Control characters
 * from inputs are written visibly (`\x1b`), as in text output
 * (src/report/sanitize.ts): XML 1.0 forbids most of them outright, and a CI
 * page that shows the report should not be handed the rest either.
 */
export function xmlEscape(s: string): string {
  return neutraliseControls(s)
    .replace(NOT_XML_CHAR, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function renderJunit(r: Report): string {
  if (r.kind !== 'doctor') throw new PodpathError('PP_USAGE', `-o junit is not available for ${r.kind}`);
  const cases: string[] = [];
  for (const e of CATALOG.values()) {
    const found = r.findings.filter((f) => f.id === e.id);
    if (found.length === 0) cases.push(`    <testcase classname="podpath.${e.id}" name="${xmlEscape(`${e.id} ${e.name}`)}"/>`);
    for (const f of found) {
      const body = [f.message, '', 'affected pairs:', ...f.pairs.map((p) => `  ${p.src} -> ${p.dst}: ${p.verdict}`), 'evidence:', ...f.evidence.map((t) => `  ${t.flow.src} -> ${t.flow.dst}: ${t.verdict}`), `see ${f.doc}`].join('\n');
      cases.push(`    <testcase classname="podpath.${f.id}" name="${xmlEscape(`${f.id} ${f.title}`)}">\n      <failure type="${f.severity}" message="${xmlEscape(f.title)}">${xmlEscape(body)}</failure>\n    </testcase>`);
    }
  }
  const failures = r.findings.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="podpath doctor" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${xmlEscape(`podpath doctor ${r.estate}`)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
