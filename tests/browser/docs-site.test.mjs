// A real browser reads the built documentation site (site/, from `make docs`): Debian's chromium,
// driven by playwright-core, over HTTP from a static server of this test. It opens the front page,
// follows the navigation to each language's getting-started page, searches, opens a search
// result, and checks that each generated API reference renders. Screenshots go to target/docs/.
//
// Run: make test-docs (installs what it needs). Env: SITE (default site/), CHROMIUM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SITE = path.resolve(process.env.SITE || `${ROOT}/site`);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = `${ROOT}/target/docs`;
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2' };

let server;
let base;
let browser;
let page;
const requests = []; // every URL the pages asked for: nothing may leave the local server

before(async () => {
  assert.ok(existsSync(`${SITE}/index.html`), `${SITE}/index.html: run make docs first`);
  mkdirSync(SHOTS, { recursive: true });
  server = createServer((req, res) => {
    let file = path.join(SITE, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(SITE)) { res.writeHead(403).end(); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
});

after(async () => {
  await browser?.close().catch(() => {});
  server?.close();
});

test('the front page is the README, and the navigation reaches every getting-started page', async () => {
  await page.goto(`${base}/`);
  assert.match(await page.locator('article h1').first().textContent(), /^polypay\W*$/);
  assert.match(await page.locator('article').textContent(), /A first taste, against the sandbox/);
  await page.screenshot({ path: `${SHOTS}/front-page.png`, fullPage: false });

  for (const [label, slug, heading] of [['Python', 'python', /Python/], ['Node.js', 'node', /Node/],
    ['Kotlin', 'kotlin', /Kotlin/], ['Swift', 'swift', /Swift/], ['Command line', 'cli', /command line|CLI/i]]) {
    await page.goto(`${base}/`);
    await page.locator('.md-tabs__link', { hasText: 'Getting started' }).click();
    await page.locator('nav.md-nav--primary a.md-nav__link', { hasText: new RegExp(`^\\s*${label}\\s*$`) }).first().click();
    await page.waitForURL(`${base}/getting-started/${slug}.html`);
    assert.match(await page.locator('article h1').first().textContent(), heading);
    // The code blocks are highlighted and carry the copy button.
    assert.ok(await page.locator('article pre code').count() > 0, `${slug}: no code block`);
    await page.screenshot({ path: `${SHOTS}/getting-started-${slug}.png`, fullPage: false });
  }
});

test('search finds a guide by a word of its text, and the result opens it', async () => {
  await page.goto(`${base}/`);
  await page.locator('label.md-search__icon, .md-search__input').first().click();
  await page.locator('input.md-search__input').fill('outcome_unknown');
  const results = page.locator('.md-search-result__item a');
  await results.first().waitFor({ timeout: 15_000 });
  const hrefs = await results.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.some((h) => h.includes('guides/api-client.html')), `results: ${hrefs.join(' ')}`);
  await page.screenshot({ path: `${SHOTS}/search.png`, fullPage: false });
  await page.locator('.md-search-result__item a[href*="guides/api-client.html"]').first().click();
  await page.waitForURL(/\/guides\/api-client\.html/);
  assert.match(await page.locator('article h1').first().textContent(), /client/i);
  await page.screenshot({ path: `${SHOTS}/guide-api-client.png`, fullPage: false });
});

test("a guide's language tabs switch its samples, and the choice follows to the next guide", async () => {
  await page.goto(`${base}/guides/callbacks.html`);
  const activeCode = () => page.locator('.tabbed-set').first().locator('.tabbed-block:visible pre code').first().textContent();
  for (const [label, marker] of [['Node', /require\(/], ['Python', /^import |\nimport /]]) {
    await page.locator('.tabbed-set').first().locator('.tabbed-labels label', { hasText: label }).first().click();
    assert.match(await activeCode(), marker, `${label} tab`);
    await page.screenshot({ path: `${SHOTS}/guide-callbacks-${label.toLowerCase()}.png`, fullPage: false });
  }
  await page.locator('.tabbed-set').first().locator('.tabbed-labels label', { hasText: 'Node' }).first().click();
  await page.goto(`${base}/guides/api-client.html`);
  assert.match(await activeCode(), /require\(|import /, 'the Node tab stays chosen on the next page');
});

test('the site works from the file system too (no server): navigation and search', async () => {
  const local = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await local.goto(`file://${SITE}/index.html`);
    await local.locator('.md-tabs__link', { hasText: 'Guides' }).click();
    await local.waitForURL(/\/guides\/hosted-payment-pages\.html$/);
    await local.locator('label.md-search__icon, .md-search__input').first().click();
    // From file:// the index loads through an iframe (the vendored shim), later than over HTTP:
    // a query typed before it is ready finds nothing, so type it again until it does.
    const input = local.locator('input.md-search__input');
    const found = local.locator('.md-search-result__item a');
    for (const deadline = Date.now() + 30_000; await found.count() === 0;) {
      assert.ok(Date.now() < deadline, 'no search result from file://');
      await input.fill('');
      await input.pressSequentially('reconciled', { delay: 20 });
      await found.first().waitFor({ timeout: 2_000 }).catch(() => {});
    }
    await local.screenshot({ path: `${SHOTS}/file-search.png`, fullPage: false });
  } finally {
    await local.close();
  }
});

test('the generated API references render in the browser', async () => {
  // DocC renders in the browser from JSON: its text exists only once its scripts have run.
  for (const [language, url] of [['python', '/reference/python.html'], ['node', '/reference/api/node/index.html'],
    ['kotlin', '/reference/api/kotlin/index.html'], ['swift', '/reference/api/swift/documentation/polypay/']]) {
    const response = await page.goto(`${base}${url}`);
    assert.equal(response.status(), 200, `${language}: ${url}`);
    await page.waitForFunction(() => document.body.textContent.includes('PayCoreClient'), null, { timeout: 15_000 });
    await page.screenshot({ path: `${SHOTS}/reference-${language}.png`, fullPage: false });
  }
});

test('nothing was fetched from outside the site (it works offline)', () => {
  const outside = requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(outside, []);
});
