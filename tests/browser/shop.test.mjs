// A real browser pays in the Django example shop: Debian's chromium, driven by playwright-core,
// against `polypay sandbox` (hosted payment page, 3-D Secure page, signed callbacks) over real
// HTTP. Each flow ends on the shop's order page; its screenshot goes to target/browser/.
//
// Run: make test-browser (installs what it needs). Env: POLYPAY_BIN, PYTHON, CHROMIUM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const POLYPAY = process.env.POLYPAY_BIN || `${ROOT}/target/debug/polypay`;
const PYTHON = process.env.PYTHON || `${ROOT}/target/venv-python/bin/python`;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = `${ROOT}/target/browser`;
// Without the background-networking flags chromium keeps dialling Google, which this machine's
// closed network refuses.
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const children = [];
let workDir;
let sandbox; // {base_url, ...} as printed by --print-config
let shop; // the shop's base URL
let browser; // a persistent context on a new, empty user-data-dir

// Whatever happens (a failed assertion, an exception), nothing started here outlives the run.
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

function start(command, args, options) {
  const child = spawn(command, args, options);
  children.push(child);
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startSandbox(callbackUrl) {
  const child = start(POLYPAY, ['sandbox', '--port', '0', '--print-config',
    '--callback-url', callbackUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the sandbox exited (${code})`)));
  });
  return JSON.parse(first);
}

async function startShop(port) {
  const log = createWriteStream(`${SHOTS}/django-shop.log`);
  const child = start(`${ROOT}/examples/django-shop/run.sh`, [], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PYTHON,
      PORT: String(port),
      PAYCORE_BASE_URL: sandbox.base_url,
      SHOP_DATABASE: `${workDir}/shop.sqlite3`,
    },
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the shop exited (${child.exitCode}); see ${SHOTS}/django-shop.log`);
    try {
      if ((await fetch(`${url}/`)).ok) return url;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the shop did not start; see ${SHOTS}/django-shop.log`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  workDir = mkdtempSync(path.join(tmpdir(), 'polypay-browser-'));
  const shopPort = await freePort();
  sandbox = await startSandbox(`http://127.0.0.1:${shopPort}/callbacks/paycore`);
  shop = await startShop(shopPort);
  browser = await chromium.launchPersistentContext(`${workDir}/profile`, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 900, height: 820 },
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const child of children) await stop(child);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// The order page refreshes itself while the shop waits for the gateway's callback.
async function finalStatus(page) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await page.locator('#status').textContent({ timeout: 2000 }).catch(() => null);
    if (text && text !== 'Pending') return text;
    if (Date.now() > deadline) throw new Error(`the order stayed ${text} at ${page.url()}`);
    await page.waitForTimeout(200);
  }
}

async function fillCard(form, number) {
  await form.locator('[name="card_number"]').fill(number);
  await form.locator('[name="expiry_month"]').fill('12');
  await form.locator('[name="expiry_year"]').fill('30');
  await form.locator('[name="cvv"]').fill('123');
  await form.locator('[name="card_holder"]').fill('JANE DOE');
}

// The shop's record of the order and the sandbox's invoice, to check the page against.
async function records(page) {
  const orderUrl = new URL(page.url());
  const order = await (await fetch(`${shop}${orderUrl.pathname}.json`)).json();
  const invoice = await (await fetch(`${sandbox.base_url}/__sandbox/invoices/${order.invoice_id}`)).json();
  return { orderUrl, order, invoice: invoice.data.resource.attributes };
}

async function buy(page, product, gateway) {
  await page.goto(`${shop}/`);
  await page.click(`#product-${product}`);
  await page.selectOption('#gateway', gateway);
  await page.click('#pay');
}

test('a card payment on the hosted page: Paid', async () => {
  const page = await browser.newPage();
  await buy(page, 'tea', 'paycore');
  await page.waitForURL((url) => url.href.startsWith(`${sandbox.base_url}/hpp/`));
  assert.equal(await page.locator('#amount').textContent(), '12.50 USD');
  const card = page.locator('#form-payment_card_usd_hpp'); // the card method, of those offered
  await fillCard(card, '5519283812030000');
  await card.locator('#pay').click();

  await page.waitForURL((url) => url.href.startsWith(`${shop}/orders/`));
  assert.equal(await finalStatus(page), 'Paid');
  await page.screenshot({ path: `${SHOTS}/paid.png`, fullPage: true });
  assert.equal(await page.locator('#amount').textContent(), '12.50 USD');
  assert.equal(await page.locator('#gateway').textContent(), 'PayCore hosted page');
  assert.ok(await page.locator('#refund').isVisible(), 'a paid order offers a refund');

  const { orderUrl, order, invoice } = await records(page);
  assert.equal(orderUrl.searchParams.get('invoice_id'), order.invoice_id);
  assert.equal(await page.locator('#invoice').textContent(), order.invoice_id);
  assert.equal(order.status, 'paid');
  assert.equal(invoice.status, 'processed');
  assert.equal(invoice.reference_id, order.reference_id);
  assert.ok(order.callbacks.some((c) => c.status === 'processed' && c.applied));
  await page.close();
});

test('a declined card on the hosted page: Failed', async () => {
  const page = await browser.newPage();
  await buy(page, 'mug', 'paycore');
  await page.waitForURL((url) => url.href.startsWith(`${sandbox.base_url}/hpp/`));
  const card = page.locator('#form-payment_card_usd_hpp');
  await fillCard(card, '4302912837020000');
  await card.locator('#pay').click();

  await page.waitForURL((url) => url.href.startsWith(`${shop}/orders/`));
  assert.equal(await finalStatus(page), 'Failed');
  await page.screenshot({ path: `${SHOTS}/failed.png`, fullPage: true });
  assert.equal(await page.locator('#amount').textContent(), '8.99 USD');
  assert.equal(await page.locator('#refund').count(), 0);

  const { order, invoice } = await records(page);
  assert.equal(order.status, 'failed');
  assert.equal(invoice.status, 'process_failed');
  await page.close();
});

test('a 3-D Secure card through the confirmation page (auto-redirect form): Paid', async () => {
  const page = await browser.newPage();
  // The shop's form page submits itself to the gateway, which opens the card step directly.
  await buy(page, 'kettle', 'paycore-form');
  await page.waitForURL((url) => url.href.startsWith(`${sandbox.base_url}/hpp/pay/`));
  const card = page.locator('form:has([name="card_number"])');
  await fillCard(card, '5123817234060000');
  await card.locator('#pay').click();

  await page.waitForURL((url) => url.href.startsWith(`${sandbox.base_url}/hpp/3ds/`));
  await page.screenshot({ path: `${SHOTS}/3ds-confirmation.png`, fullPage: true });
  await page.click('#confirm');

  await page.waitForURL((url) => url.href.startsWith(`${shop}/orders/`));
  assert.equal(await finalStatus(page), 'Paid');
  await page.screenshot({ path: `${SHOTS}/3ds-paid.png`, fullPage: true });
  assert.equal(await page.locator('#amount').textContent(), '45.00 USD');
  assert.equal(await page.locator('#gateway').textContent(), 'PayCore hosted page (form)');

  const { order, invoice } = await records(page);
  assert.equal(order.status, 'paid');
  assert.equal(invoice.status, 'processed');
  await page.close();
});
