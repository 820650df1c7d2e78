// Test fixtures: a real `polypay sandbox` process and the shop on a real HTTP port.
'use strict';
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { createApp, configFromEnv } = require('../app');

const POLYPAY = process.env.POLYPAY_BIN || path.join(__dirname, '..', '..', '..', 'target', 'debug', 'polypay');

/** `polypay sandbox --port 0 --print-config …`; resolves once its config line is read. */
function startSandbox(args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(POLYPAY, ['sandbox', '--port', '0', '--print-config', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sandbox exited (${code}): ${stderr}`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      const config = JSON.parse(line);
      const admin = async (method, p, body) => {
        const r = await fetch(config.base_url + '/__sandbox' + p, {
          method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (!r.ok) throw new Error(`admin ${method} ${p}: ${r.status} ${await r.text()}`);
        return r.json();
      };
      resolve({
        config, baseUrl: config.base_url, admin,
        stop: () => new Promise((done) => {
          child.removeAllListeners('exit');
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

/** Listens first (the sandbox needs the shop's callback URL), then builds the shop on `sandbox`. */
async function startShop({ mount, shopBaseUrl } = {}) {
  let handler = (req, res) => { res.statusCode = 503; res.end(); };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  const sandbox = await startSandbox(['--callback-url', `${url}/callbacks/paycore`, '--time-scale', '0.01']);
  const config = configFromEnv({
    PORT: String(server.address().port), PAYCORE_BASE_URL: sandbox.baseUrl, SHOP_BASE_URL: shopBaseUrl,
    ECOMMPAY_STATUS_DELAY_MS: '200',
  });
  const built = mount ? mount(config) : createApp(config);
  handler = built.app;
  return {
    url, sandbox, config, shop: built.shop,
    stop: async () => {
      await sandbox.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function waitFor(what, predicate, ms = 10_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The `<form id=…>` of a page: its action and its named inputs (hidden ones with values). */
function form(html, id) {
  const m = new RegExp(`<form[^>]*id="${id}"[^>]*>([\\s\\S]*?)</form>`).exec(html);
  if (!m) throw new Error(`no form #${id} in the page`);
  const action = /action="([^"]*)"/.exec(m[0])[1].replace(/&amp;/g, '&');
  const fields = {};
  for (const input of m[1].matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0]);
    const value = /value="([^"]*)"/.exec(input[0]);
    if (name) fields[name[1]] = value ? value[1].replace(/&amp;/g, '&') : '';
  }
  return { action, fields };
}

/** POSTs a form like a browser; returns the response without following redirects. */
const post = (url, fields, headers = {}) => fetch(url, {
  method: 'POST', redirect: 'manual', body: new URLSearchParams(fields),
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
});

module.exports = { startSandbox, startShop, waitFor, form, post, POLYPAY };
