// What both browser checks share: Debian's Chromium launched headless (through
// playwright-core), one page whose every console error or warning, page error, dialog,
// failed request, HTTP error or off-site request is recorded as a problem, and numbered
// checks. A run passes only if the problems are still empty at the end.

import { chromium } from 'playwright-core';

// Opens Chromium and a page that may fetch only URLs `allowed` accepts.
export async function openBrowser(allowed) {
  const browser = await chromium.launch({
    executablePath: process.env.ARXRANK_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()} (${page.url()})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message} (${page.url()})`));
  page.on('dialog', (d) => {
    problems.push(`dialog opened: ${d.message()} (${page.url()})`);
    d.dismiss();
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    problems.push(`off-site request: ${url}`);
    return route.abort();
  });
  let checks = 0;
  // Runs one named check and prints its TAP-like line.
  async function check(name, fn) {
    await fn();
    checks += 1;
    console.log(`ok ${checks} - ${name}`);
  }
  return { browser, page, problems, check, count: () => checks };
}
