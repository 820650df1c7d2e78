'use strict';
// Starts `polypay sandbox --port 0 --print-config` and reads its config line.
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const POLYPAY = process.env.POLYPAY_BIN || path.join(__dirname, '..', '..', 'target', 'debug', 'polypay');

function startSandbox(extraArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(POLYPAY, ['sandbox', '--port', '0', '--print-config', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sandbox exited (${code}): ${stderr}`)));
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const config = JSON.parse(line);
      resolve({
        config,
        baseUrl: config.base_url,
        child,
        admin: (method, p, body) => fetch(config.base_url + p, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(async (r) => (r.headers.get('content-type') || '').includes('json') ? r.json() : r.text()),
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

function clientOptions(sb, extra = {}) {
  const p = sb.config.paycore;
  return {
    baseUrl: sb.baseUrl,
    publicKey: p.public_key_test,
    accountId: p.account_id,
    apiKey: p.api_key,
    secretKey: p.secret_key_test,
    ...extra,
  };
}

let counter = 0;
const uniqueRef = (prefix = 'node') => `${prefix}-${process.pid}-${Date.now()}-${++counter}`;

/** A deterministic random source (mulberry32), so that a failing run can be replayed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(items, rand) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

module.exports = { startSandbox, clientOptions, uniqueRef, POLYPAY, random, shuffle };
