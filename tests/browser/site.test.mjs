// Drives Debian's Chromium (headless, through playwright-core) over a site written by
// `arxrank site`, served from 127.0.0.1 and opened from disk. tests/site.rs builds the
// site from real digests and runs this script:
//
//   node tests/browser/site.test.mjs <site-dir> <digests-dir> <screenshot.png> <feedback.jsonl>
//
// Expected counts come from the digests' scores.json (every scanned paper), not from the pages, so a page that
// drops, duplicates or mis-filters papers fails. Any console error or warning, page error,
// dialog, failed or off-site request fails the run too.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openBrowser } from './harness.mjs';

const [siteDir, digestsDir, shotPath, feedbackPath] = process.argv.slice(2).map((p) => p && path.resolve(p));
if (!feedbackPath) {
  console.error('usage: site.test.mjs <site-dir> <digests-dir> <screenshot.png> <feedback.jsonl>');
  process.exit(2);
}

// The site's own --list-from default: papers below it are not listed.
const LIST_FROM = 6;

const days = fs
  .readdirSync(digestsDir)
  .filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))
  .sort()
  .map((date) => {
    const out = JSON.parse(fs.readFileSync(path.join(digestsDir, date, 'scores.json'), 'utf8'));
    const papers = Object.values(out).map((p) => ({
      id: p.ARXIVID,
      title: p.title,
      relevance: p.RELEVANCE,
      selected: p.arxrank.selected,
      topic: p.arxrank.best_topic,
    }));
    return { date, papers, picks: papers.filter((p) => p.selected) };
  });
assert.ok(days.length >= 3, `need at least three days of digests, found ${days.length}`);
const [first, middle, last] = [days[0], days[1], days[days.length - 1]];

const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript', '.png': 'image/png' };
const server = http.createServer((req, res) => {
  const rel = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  const file = path.join(siteDir, rel.endsWith('/') ? rel + 'index.html' : rel);
  if (!file.startsWith(siteDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}/`;

// Nothing may be fetched from anywhere but the site itself: no CDN, no tracking pixel,
// no injected image.
const { browser, page, problems, check, count } = await openBrowser((url) => url.startsWith(base) || url.startsWith('file://'));

const visibleCards = () => page.locator('article.paper:visible');

// A click that opens another page returns once the navigation has started; the checks read
// the new page only after it has loaded and its deferred script has set the filter up (on a
// busy machine the script can still be pending when the click returns).
async function follow(target) {
  await (typeof target === 'string' ? page.click(target) : target.click());
  await page.waitForLoadState('load');
}
const dayUrl = (d) => `${base}days/${d.date}.html`;

await check('index lists every day and links the latest', async () => {
  await page.goto(`${base}index.html`);
  assert.equal(await page.title(), 'arxrank digests');
  for (const d of days) assert.equal(await page.locator(`table.days a[href="days/${d.date}.html"]`).count(), 1, d.date);
  await follow('a.latest');
  assert.equal(page.url(), dayUrl(last));
});

await check('a day page shows the digest picks, numbered, with a working table of contents', async () => {
  await page.goto(dayUrl(middle));
  assert.equal(await visibleCards().count(), middle.picks.length);
  assert.ok(middle.picks.length > 5, 'the middle day should have a real digest');
  assert.equal(await page.locator('#shown').textContent(), String(middle.picks.length));
  assert.ok(await page.locator('#filter').isVisible(), 'the filter is shown once the script runs');
  const ids = await visibleCards().evaluateAll((cs) => cs.map((c) => c.id));
  assert.deepEqual(ids, middle.picks.map((p) => `paper-${p.id}`));
  assert.equal(await page.locator('#toc li[data-paper]:visible').count(), middle.picks.length);
  const third = middle.picks[2];
  await page.click(`#toc a[href="#paper-${third.id}"]`);
  assert.equal(new URL(page.url()).hash, `#paper-${third.id}`);
  assert.equal(await page.locator(`[id="paper-${third.id}"] h2 a`).textContent(), third.title);
});

await check('previous and next day links walk the days in order, ending at both ends', async () => {
  await page.goto(dayUrl(first));
  assert.equal(await page.locator('nav.pager a.prev').count(), 0);
  assert.equal(await page.locator('nav.pager span.prev.none').count(), 1);
  for (const d of days.slice(1)) {
    await follow('nav.pager a.next');
    assert.equal(page.url(), dayUrl(d));
    assert.match(await page.locator('h1').textContent(), new RegExp(d.date));
  }
  assert.equal(await page.locator('nav.pager a.next').count(), 0);
  for (const d of days.slice(0, -1).reverse()) {
    await follow('nav.pager a.prev');
    assert.equal(page.url(), dayUrl(d));
  }
});

await check('the monthly overview counts papers per topic and links its top papers', async () => {
  await page.goto(dayUrl(middle));
  await follow('nav.pager a.month');
  const month = middle.date.slice(0, 7);
  assert.equal(page.url(), `${base}months/${month}.html`);
  const inMonth = days.filter((d) => d.date.startsWith(month));
  const picks = inMonth.flatMap((d) => d.picks);
  const rows = await page.locator('table.topics tr[data-topic]').evaluateAll((rs) =>
    rs.map((r) => [r.getAttribute('data-topic'), Number(r.querySelector('.count').textContent)]));
  assert.ok(rows.length >= 2, 'several topics');
  for (const [topic, n] of rows) assert.equal(n, picks.filter((p) => p.topic === topic).length, topic);
  assert.equal(rows.reduce((s, [, n]) => s + n, 0), picks.length);
  const top = page.locator('ol.top li > a').first();
  const href = await top.getAttribute('href');
  const title = await top.textContent();
  await follow(top);
  assert.equal(page.url(), new URL(href, `${base}months/`).href);
  const target = page.locator(`[id="${new URL(page.url()).hash.slice(1)}"]`);
  assert.ok(await target.isVisible(), 'the top paper is a visible pick on its day page');
  assert.equal(await target.locator('h2 a').textContent(), title);
});

await check('the filter narrows by topic and minimum relevance, and reaches unselected papers', async () => {
  await page.goto(dayUrl(middle));
  const counts = {};
  for (const p of middle.picks) counts[p.topic] = (counts[p.topic] ?? 0) + 1;
  const topic = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
  await page.selectOption('select[name=topic]', topic);
  assert.equal(await visibleCards().count(), counts[topic]);
  const shownTopics = await visibleCards().evaluateAll((cs) => cs.map((c) => c.dataset.topic));
  assert.ok(shownTopics.every((t) => t === topic));
  assert.equal(await page.locator('#shown').textContent(), String(counts[topic]));
  // The table of contents keeps the digest's numbers, the same the cards show.
  const tocNumbers = await page.locator('#toc li[data-paper]:visible').evaluateAll((ls) => ls.map((l) => `${l.value}.`));
  const cardNumbers = await visibleCards().evaluateAll((cs) => cs.map((c) => c.querySelector('.num').textContent));
  assert.deepEqual(tocNumbers, cardNumbers);
  assert.notDeepEqual(cardNumbers, cardNumbers.map((_, i) => `${i + 1}.`), 'the topic hides some picks');

  await page.selectOption('select[name=min]', '9');
  const expect9 = middle.picks.filter((p) => p.topic === topic && p.relevance >= 9).length;
  assert.equal(await visibleCards().count(), expect9);
  assert.ok(expect9 < counts[topic], 'relevance 9 is a real cut');

  await page.selectOption('select[name=topic]', '');
  await page.selectOption('select[name=min]', '7');
  await page.uncheck('input[name=picks]');
  const listed = middle.papers.filter((p) => p.selected || p.relevance >= LIST_FROM);
  const expect7 = listed.filter((p) => p.relevance >= 7).length;
  assert.ok(expect7 > middle.picks.length, 'unselected papers at 7 exist');
  assert.equal(await visibleCards().count(), expect7);
  assert.equal(await page.locator('article.paper.extra:visible').count(), expect7 - middle.picks.filter((p) => p.relevance >= 7).length);
  assert.equal(new URL(page.url()).search, '?min=7&all=1');

  // The choice follows the reader to the next day.
  await follow('nav.pager a.next');
  assert.equal(new URL(page.url()).search, '?min=7&all=1');
  assert.equal(await page.locator('select[name=min]').inputValue(), '7');
  assert.equal(await page.locator('input[name=picks]').isChecked(), false);
  const next = days[2];
  const listedNext = next.papers.filter((p) => p.selected || p.relevance >= LIST_FROM);
  assert.equal(await visibleCards().count(), listedNext.filter((p) => p.relevance >= 7).length);
});

await check('a link to a paper the filter hides widens the filter and lands on it', async () => {
  const extra = first.papers.find((p) => !p.selected && p.relevance >= LIST_FROM);
  assert.ok(extra, 'the first day lists unselected papers');
  await page.goto(`${dayUrl(first)}#paper-${extra.id}`);
  const card = page.locator(`[id="paper-${extra.id}"]`);
  assert.ok(await card.isVisible());
  assert.equal(await page.locator('input[name=picks]').isChecked(), false);
  // And from a nearest-past-paper link on the next day, when one points at an earlier card.
  await page.goto(dayUrl(middle));
  const onSite = page.locator('a.on-site:visible');
  assert.ok((await onSite.count()) > 0, 'some nearest past papers have a card on the site');
  const href = await onSite.first().getAttribute('href');
  await follow(onSite.first());
  await page.waitForURL(new URL(href, `${base}days/`).href);
  assert.ok(await page.locator(`[id="${new URL(page.url()).hash.slice(1)}"]`).isVisible());
});

await check('hostile titles, authors and abstracts stay inert text', async () => {
  const hostile = days.flatMap((d) => d.papers.map((p) => ({ d, p }))).find(({ p }) => p.title.includes('<script>'));
  assert.ok(hostile, 'the digests include a paper with a hostile title');
  await page.goto(dayUrl(hostile.d));
  const card = page.locator(`[id="paper-${hostile.p.id}"]`);
  assert.ok(await card.isVisible());
  assert.equal(await card.locator('h2 a').textContent(), hostile.p.title);
  assert.match(await card.locator('.abstract').textContent(), /<script>window\.__pwned=3/);
  assert.match(await card.locator('.authors').textContent(), /<img src=x onerror=/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.evaluate(() => document.images.length), 0);
  assert.equal(await page.evaluate(() => document.querySelectorAll('iframe, [onerror], [onload]').length), 0);
  const scripts = await page.evaluate(() => Array.from(document.scripts, (s) => s.getAttribute('src')));
  assert.deepEqual(scripts, ['../assets/site.js']);
});

await check('a day page works opened from disk (file://)', async () => {
  await page.goto(pathToFileURL(path.join(siteDir, 'days', `${middle.date}.html`)).href);
  assert.equal(await visibleCards().count(), middle.picks.length);
  await page.selectOption('select[name=min]', '10');
  assert.equal(await visibleCards().count(), middle.picks.filter((p) => p.relevance >= 10).length);
});

await check('likes and dislikes persist across pages and reloads, and export as feedback.jsonl', async () => {
  await page.goto(dayUrl(first));
  await page.evaluate(() => window.localStorage.clear());
  await page.reload();
  assert.ok(await page.locator('#feedback-bar').isVisible(), 'the feedback bar is shown once the script runs');
  const vote = (id, kind) => page.click(`[id="paper-${id}"] button.${kind}`);
  const pressed = (id, kind) => page.getAttribute(`[id="paper-${id}"] button.${kind}`, 'aria-pressed');
  // The first day: its first eight picks liked, two more disliked.
  for (const p of first.picks.slice(0, 8)) await vote(p.id, 'like');
  for (const p of first.picks.slice(8, 10)) await vote(p.id, 'dislike');
  assert.equal(await pressed(first.picks[0].id, 'like'), 'true');
  assert.equal(await pressed(first.picks[0].id, 'dislike'), 'false');
  // Switching a mark: a like turned into a dislike and back.
  await vote(first.picks[1].id, 'dislike');
  assert.equal(await pressed(first.picks[1].id, 'like'), 'false');
  await vote(first.picks[1].id, 'like');
  // The middle day: fourteen picks liked; the marks of the first day are still counted.
  await follow('nav.pager a.next');
  assert.equal(page.url(), dayUrl(middle));
  assert.equal(await page.locator('#liked').textContent(), '8');
  for (const p of middle.picks.slice(0, 14)) await vote(p.id, 'like');
  // Clicking a pressed button takes the mark back.
  await vote(middle.picks[13].id, 'like');
  assert.equal(await pressed(middle.picks[13].id, 'like'), 'false');
  await vote(middle.picks[13].id, 'like');
  await page.reload();
  assert.equal(await pressed(middle.picks[13].id, 'like'), 'true', 'marks survive a reload');
  assert.equal(await page.locator('#liked').textContent(), '22');
  assert.equal(await page.locator('#disliked').textContent(), '2');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-feedback')]);
  assert.equal(download.suggestedFilename(), 'feedback.jsonl');
  await download.saveAs(feedbackPath);
  const lines = fs.readFileSync(feedbackPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const want = [
    ...first.picks.slice(0, 8).map((p) => ({ id: p.id, label: 1, date: first.date })),
    ...first.picks.slice(8, 10).map((p) => ({ id: p.id, label: -1, date: first.date })),
    ...middle.picks.slice(0, 14).map((p) => ({ id: p.id, label: 1, date: middle.date })),
  ].sort((a, b) => (a.date + a.id < b.date + b.id ? -1 : 1));
  assert.deepEqual(lines, want);
  // Clearing takes two clicks, then every mark is gone.
  await page.click('#clear-feedback');
  assert.equal(await page.locator('#liked').textContent(), '22');
  await page.click('#clear-feedback');
  assert.equal(await page.locator('#liked').textContent(), '0');
  assert.equal(await pressed(middle.picks[0].id, 'like'), 'false');
  // The exported marks back in place for the screenshot.
  await page.evaluate((ls) => {
    const marks = {};
    for (const m of ls) marks[m.id] = { label: m.label, date: m.date };
    window.localStorage.setItem('arxrank-feedback', JSON.stringify(marks));
  }, lines);
});

await check('screenshot of a day page, filtered to its largest topic at relevance 9 or more', async () => {
  await page.goto(dayUrl(middle));
  const counts = {};
  for (const p of middle.picks) counts[p.topic] = (counts[p.topic] ?? 0) + 1;
  await page.selectOption('select[name=topic]', Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0]);
  await page.selectOption('select[name=min]', '9');
  fs.mkdirSync(path.dirname(shotPath), { recursive: true });
  await page.screenshot({ path: shotPath });
  assert.ok(fs.statSync(shotPath).size > 10_000);
});

await browser.close();
server.close();
assert.deepEqual(problems, [], 'the browser reported problems');
console.log(`all ${count()} browser checks passed; screenshot: ${shotPath}`);
