import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { run } from '../helpers/run-cli.js';
import { seedFile } from '../helpers/estates.js';

const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'podpath-html-'));
const haveChromium = existsSync(CHROMIUM);

/** Opens a page, blocking and counting every request that is not the file itself. */
async function open(browser: Browser, file: string): Promise<{ page: Page; external: string[] }> {
  const url = pathToFileURL(file).href;
  const external: string[] = [];
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    external.push(u);
    return route.abort();
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForLoadState('load');
  expect(errors).toEqual([]);
  return { page, external };
}

describe.skipIf(!haveChromium)('HTML report in a real browser (Debian chromium, headless)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-default-apps', '--disable-sync', '--no-first-run', '--disable-domain-reliability'],
    });
  }, 60_000);
  afterAll(async () => browser?.close());

  it('the seed: both VPCs, the peering, the nodes, RDS; pod->RDS highlighted at the peering with its causes stacked', async () => {
    const file = join(dir, 'seed.html');
    const r = await run('report', '--estate', seedFile, '--html', file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^wrote .*seed\.html: .*5 finding\(s\)/);
    const { page, external } = await open(browser, file);
    const svgText = await page.locator('#topo').textContent();
    for (const want of ['vpc-k8s', '172.20.0.0/16', 'vpc-main', '10.0.0.0/16', 'pcx-seed', 'node node-1', 'node node-2', 'pods 10.244.1.0/24', 'RDS prod-db', '10.0.18.52:5432']) expect(svgText).toContain(want);
    // On load the first finding's first trace (pod -> RDS) is selected: its deciding hop is the peering.
    expect(await page.locator('#topo [data-el="pcx:pcx-seed"]').getAttribute('class')).toMatch(/\bfailing\b/);
    expect(await page.locator('#topo [data-el="host:i-node1"]').getAttribute('class')).toMatch(/\bon-path\b/);
    expect(await page.locator('#topo [data-el="rds:prod-db"]').getAttribute('class')).not.toMatch(/on-path|failing/);
    const callout = page.locator('#topo .callout.on');
    await expect.poll(() => callout.count()).toBe(1);
    const lines = await callout.locator('text').allTextContents();
    expect(lines[0]).toMatch(/^pod:default\/api-7f9 -> rds:prod-db: DROPPED at pcx-seed/);
    expect(lines.slice(1).join('\n')).toMatch(/1\. pcx-seed[\s\S]*2\. .*MASQUERADE[\s\S]*3\. .*sg-rds/);
    expect(await callout.isVisible()).toBe(true);

    // Click the netfilter POSTROUTING hop: the detail panel shows its rule and the packet in and out.
    const hop = page.locator('.trace[data-trace="t0-0"] .hop button', { hasText: 'netfilter POSTROUTING' });
    await hop.click();
    const detail = await page.locator('#detail').innerText();
    expect(detail).toMatch(/PACKET IN\s+10\.244\.1\.5:\d+ > 10\.0\.18\.52:5432 tcp/i);
    expect(detail).toMatch(/PACKET OUT\s+10\.244\.1\.5:\d+ > 10\.0\.18\.52:5432 tcp/i);
    expect(detail).toMatch(/DECIDING RULE\s+\S+seed-2015\.estate\.yaml:\d+/i);
    expect(await page.locator('#topo [data-el="host:i-node1"]').getAttribute('class')).toMatch(/\bcurrent\b/);
    // The peering hop: dropped, and its rule text names the VPCs it joins.
    await page.locator('.trace[data-trace="t0-0"] .hop.failing button').click();
    expect(await page.locator('#detail').innerText()).toMatch(/decision\s+drop[\s\S]*pcx-seed/i);
    // Fixes are listed with their proofs.
    expect(await page.locator('#f0 .fixes .proven').count()).toBeGreaterThan(0);

    const shot = join(dir, 'seed-report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).length).toBeGreaterThan(10_000);
    process.stderr.write(`screenshot (test artifact): ${shot}\n`);
    expect(external).toEqual([]);
  }, 60_000);

  it('hostile names from a snapshot are shown as text, never run; still no request', async () => {
    const snap = join(dir, 'hostile');
    cpSync('examples/seed-2015', snap, { recursive: true });
    const vpcs = join(snap, 'aws/describe-vpcs.json');
    writeFileSync(vpcs, readFileSync(vpcs, 'utf8').replace('"Value": "main"', '"Value": "<script>window.pwned=1</script><img src=http://198.51.100.1/x>"'));
    const pods = join(snap, 'k8s/pods.json');
    writeFileSync(pods, readFileSync(pods, 'utf8').replace('"api-7f9"', JSON.stringify('evil\u001b]0;pwned\u0007<b>x</b>')));
    const file = join(dir, 'hostile.html');
    await run('report', '--snapshot', snap, '--html', file);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toContain('<script>window.pwned');
    expect(html).not.toContain('<img src=http');
    expect(html).not.toContain('\u001b');
    const { page, external } = await open(browser, file);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('#topo').textContent()).toContain('<script>window.pwned=1</script>');
    expect(await page.locator('body').textContent()).toContain('evil\\x1b]0;pwned\\x07<b>x</b>');
    expect(await page.locator('img, b').count()).toBe(0);
    expect(external).toEqual([]);
  }, 60_000);

  it('prints: the failing hop details are in the printed page', async () => {
    const file = join(dir, 'seed.html');
    if (!existsSync(file)) await run('report', '--estate', seedFile, '--html', file);
    const { page } = await open(browser, file);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#detail').isVisible()).toBe(false);
    expect(await page.locator('.trace[data-trace="t0-0"] .hop.failing .hop-detail').isVisible()).toBe(true);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
  }, 60_000);
});
