// Drives Debian's Chromium (headless, through playwright-core) over `arxrank serve`:
// marks go to the server and are still there after a reload, the search box finds a
// planted paper first, and "More like this" lists a card's neighbours. tests/serve.rs
// starts the server on real digests and runs this script:
//
//   node tests/browser/serve.test.mjs <base-url> <day> <query> <planted-id> <screenshot.png>
//
// It prints the ids it marked (`marked <id> <label>`), which the Rust test then looks up
// in the server's feedback log. Any console error or warning, page error, dialog, failed
// or off-site request, or HTTP error fails the run.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openBrowser } from './harness.mjs';

const [base, day, query, planted, shotPath] = process.argv.slice(2);
if (!shotPath) {
  console.error('usage: serve.test.mjs <base-url> <day> <query> <planted-id> <screenshot.png>');
  process.exit(2);
}

const { browser, page, problems, check, count } = await openBrowser((url) => url.startsWith(base));

const dayUrl = `${base}days/${day}.html`;
const ready = () => page.waitForSelector('#feedback-bar[data-ready="1"]');
const pressed = (id, kind) => page.getAttribute(`[id="paper-${id}"] button.${kind}`, 'aria-pressed');
// A click, and the server's answer to the mark it sends.
async function vote(id, kind) {
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/feedback') && r.request().method() === 'POST');
  await page.click(`[id="paper-${id}"] button.${kind}`);
  const r = await answered;
  assert.equal(r.status(), 200, await r.text());
}

let picks;
await check('a served day page shows the marks the server holds and search', async () => {
  await page.goto(dayUrl);
  await ready();
  assert.ok(await page.locator('#search').isVisible(), 'the search box shows when served');
  assert.ok(!(await page.locator('#export-feedback').isVisible()), 'no export: the server keeps the marks');
  picks = await page.$$eval('article.paper[data-selected="1"]', (as) => as.map((a) => a.id.slice('paper-'.length)));
  assert.ok(picks.length >= 3, `need three picks, found ${picks.length}`);
});

await check('marks are saved by the server and are still there after a reload', async () => {
  await vote(picks[0], 'like');
  await vote(picks[1], 'like');
  await vote(picks[2], 'dislike');
  // A pressed button takes the mark back; a dislike replaces a like.
  await vote(picks[1], 'like');
  await vote(picks[0], 'dislike');
  await vote(picks[0], 'like');
  assert.equal(await pressed(picks[0], 'like'), 'true');
  assert.equal(await pressed(picks[1], 'like'), 'false');
  await page.reload();
  await ready();
  assert.equal(await pressed(picks[0], 'like'), 'true', 'a like survives a reload');
  assert.equal(await pressed(picks[0], 'dislike'), 'false');
  assert.equal(await pressed(picks[1], 'like'), 'false', 'a mark taken back stays taken back');
  assert.equal(await pressed(picks[2], 'dislike'), 'true', 'a dislike survives a reload');
  // A fresh page (another tab, another browser) shows them too: they are the server's.
  const other = await browser.newPage();
  await other.goto(dayUrl);
  await other.waitForSelector('#feedback-bar[data-ready="1"]');
  assert.equal(await other.getAttribute(`[id="paper-${picks[2]}"] button.dislike`, 'aria-pressed'), 'true');
  await other.close();
  console.log(`marked ${picks[0]} 1`);
  console.log(`marked ${picks[1]} 0`);
  console.log(`marked ${picks[2]} -1`);
});

await check('the search box finds the planted paper first', async () => {
  await page.fill('#search input[name=q]', query);
  await page.click('#search button[type=submit]');
  await page.waitForSelector('#search-results[data-done="1"]');
  const ids = await page.$$eval('#search-results li', (ls) => ls.map((l) => l.getAttribute('data-id')));
  assert.ok(ids.length >= 5, `results: ${ids}`);
  assert.equal(ids[0], planted, `first result of ${ids}`);
});

await check('"More like this" lists a card\'s nearest papers, not the card itself', async () => {
  await page.click(`[id="paper-${picks[0]}"] button.similar`);
  await page.waitForSelector('#search-results[data-done="1"]');
  const ids = await page.$$eval('#search-results li', (ls) => ls.map((l) => l.getAttribute('data-id')));
  assert.ok(ids.length >= 5, `results: ${ids}`);
  assert.ok(!ids.includes(picks[0]), 'the paper itself is left out');
  fs.writeFileSync(shotPath, await page.screenshot());
  assert.ok(fs.statSync(shotPath).size > 10_000);
});

await browser.close();
assert.deepEqual(problems, [], 'the browser reported problems');
console.log(`all ${count()} serve checks passed; screenshot: ${shotPath}`);
