// The shared bad-input table (tests/bad-input/cases.json) through the JS API: each case throws
// (or rejects with) its documented error class and code, sends nothing to a local listener that
// stands in for the gateway (a case with a `server` answer: exactly one request, answered with
// that canned response), and shows no secret. Timeouts in the table are seconds; JS takes
// milliseconds, so the runner passes the value × 1000 (1e19 s is 1e22 ms, as far out of range).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const util = require('node:util');
const polypay = require('..');
const { PayCoreClient, EcommpayGate, ecommpay, paycore, PolypayError } = polypay;

const TABLE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'bad-input', 'cases.json'), 'utf8'));
const CLASSES = {
  invalid_input: 'InvalidInputError', configuration: 'ConfigurationError', signature: 'SignatureVerificationError', conflict: 'ConflictError',
};

const deep = (n) => { let v = 'x'; for (let i = 0; i < n; i++) v = { a: v }; return v; };

// An input value as a JS program would pass it (numbers, NaN, real nesting).
function value(v) {
  if (Array.isArray(v)) return v.map(value);
  if (v === null || typeof v !== 'object') return v;
  if ('$float' in v) return Number(v.$float);
  if ('$nan' in v) return NaN;
  if ('$deep' in v) return deep(v.$deep);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)]));
}

// A string argument; `$lone_surrogate` appends an unpaired surrogate (not valid Unicode).
const text = (v) => (v !== null && typeof v === 'object' && '$lone_surrogate' in v ? `${v.$lone_surrogate}\udcff` : v);

function body(v) {
  if (typeof v === 'string') return Buffer.from(v);
  if ('$bytes_hex' in v) return Buffer.from(v.$bytes_hex, 'hex');
  if ('$repeat' in v) return Buffer.alloc(v.count, v.$repeat);
  if ('$deep' in v) return Buffer.from('{"a":'.repeat(v.$deep) + '"x"' + '}'.repeat(v.$deep));
  if ('$parsed' in v) return JSON.parse(v.$parsed); // what express.json() hands over
  throw new Error(`unknown body ${JSON.stringify(v)}`);
}

// Seconds (a number or a `$float` lexeme such as NaN) as the milliseconds JS takes.
const millis = (v) => value(v) * 1000;

// A local port that accepts connections and never answers; counts what reached it. While
// `answer` holds a case's `server` ({status, body}), it answers each connection's request with
// that canned response instead (`Connection: close`, so connections are requests).
let listener;
let connections = 0;
let answer = null;

function respond(socket, server) {
  let data = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    data = Buffer.concat([data, chunk]);
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/^content-length:\s*(\d+)/im.exec(data.subarray(0, end).toString('latin1'))?.[1] ?? 0);
    if (data.length < end + 4 + length || socket.writableEnded) return; // the whole request first
    const body = Buffer.from(JSON.stringify(server.body));
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${server.status} Canned\r\nContent-Type: application/json\r\n`
      + `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
  });
}

before(async () => {
  listener = net.createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    if (answer) respond(socket, answer);
  });
  await new Promise((r) => listener.listen(0, '127.0.0.1', r));
});
after(() => { listener.close(); });

const OPTION_NAMES = {
  public_key: 'publicKey', account_id: 'accountId', api_key: 'apiKey', secret_key: 'secretKey', base_url: 'baseUrl', env: 'env',
  timeout: 'timeout', request_timeout: 'requestTimeout', connect_timeout: 'connectTimeout',
};
const TIMEOUTS = new Set(['timeout', 'request_timeout', 'connect_timeout']);

function makeClient(options) {
  const o = Object.fromEntries(Object.entries(options).map(([k, v]) => {
    assert.ok(k in OPTION_NAMES, `no JS name for option ${k}`);
    return [OPTION_NAMES[k], TIMEOUTS.has(k) ? millis(v) : v];
  }));
  if (o.baseUrl === undefined && o.env === undefined) o.baseUrl = `http://127.0.0.1:${listener.address().port}`;
  // Were anything sent, the call would end quickly and the connection be counted; a case's own
  // options win.
  return new PayCoreClient({ maxRetries: 0, timeout: 2000, requestTimeout: 1000, ...o });
}

async function run(c) {
  const i = c.input;
  const op = c.operation;
  if (op === 'client.new') return makeClient(i.options);
  if (op.startsWith('client.')) {
    const client = makeClient({ ...TABLE.client_defaults, ...(i.client || {}) });
    // A per-call timeout: this call's deadline (options.timeout, ms).
    const call = 'timeout' in i ? { timeout: millis(i.timeout) } : undefined;
    switch (op) {
      case 'client.create_payment_invoice': return await client.createPaymentInvoice(value(i.request), call);
      case 'client.refund_payment_invoice': return await client.refundPaymentInvoice(i.id, value(i.request), call);
      case 'client.payment_prerequest': return await client.paymentPrerequest(value(i.request), call);
      case 'client.get_payment_invoice': return await client.getPaymentInvoice(i.id, call);
    }
  }
  switch (op) {
    case 'paycore.verify_callback': return paycore.verifyCallback(body(i.body), text(i.signature), text(i.secret));
    case 'paycore.hpp_url': return paycore.hppUrl(value(i.params), { env: i.env, baseUrl: i.base_url });
    case 'paycore.hpp_form': return paycore.hppForm(value(i.params), { env: i.env, baseUrl: i.base_url });
    case 'ecommpay.verify_callback': return ecommpay.verifyCallback(body(i.body), text(i.secret));
    case 'ecommpay.sign': return ecommpay.sign(value(i.params), text(i.secret));
    case 'ecommpay.gate':
    case 'ecommpay.gate.payment_page_url': {
      const gate = new EcommpayGate({ projectId: i.project_id, secretKey: text(i.secret_key), baseUrl: i.base_url });
      return op === 'ecommpay.gate' ? gate : gate.paymentPageUrl(value(i.payment));
    }
  }
  throw new Error(`unknown operation ${op}`);
}

function expected(c) {
  const want = { ...c.expect, ...(c.node || {}) };
  if (want.class === undefined) want.class = CLASSES[want.kind];
  return want;
}

test('the table has at least 25 cases', () => {
  assert.ok(TABLE.cases.length >= 25);
});

for (const c of TABLE.cases) {
  test(`bad input table: ${c.id}`, async () => {
    const want = expected(c);
    const Class = polypay[want.class] || globalThis[want.class];
    assert.equal(typeof Class, 'function', `no class ${want.class}`);
    let error;
    const seen = connections;
    // A case with a `server` answer gets it; every other case is met with silence.
    answer = c.server ?? null;
    try {
      await run(c);
    } catch (e) {
      error = e;
    } finally {
      answer = null;
    }
    assert.ok(error, 'did not fail');
    // The exact class: a plain TypeError/RangeError where the table says so, not a subclass.
    assert.equal(Object.getPrototypeOf(error), Class.prototype, `${error.name}: ${error.message}`);
    if (want.code === null) {
      assert.equal(error instanceof PolypayError, false);
    } else {
      assert.ok(error instanceof PolypayError, error.message);
      assert.equal(error.code, want.code, error.message);
      assert.equal(error.kind, want.kind);
      if (want.argument) {
        assert.ok(error.argument, `no argument: ${error.message}`);
        assert.ok(error.message.includes(error.argument), error.message);
      }
    }
    const shown = `${error} ${util.inspect(error)}`;
    for (const secret of TABLE.secrets) assert.ok(!shown.includes(secret), `the error shows ${secret}`);
    // `sends: true`: exactly one request (the create, never sent again after the 409).
    const sent = connections - seen;
    assert.equal(sent, want.sends ? 1 : 0, want.sends ? 'one request must reach the gateway' : 'a bad input reached the gateway');
  });
}

test('the listener counts a request that is sent', async () => {
  const seen = connections;
  const client = makeClient(TABLE.client_defaults);
  await assert.rejects(client.getPaymentInvoice('cpi_BADINPUT'), polypay.APITimeoutError);
  assert.equal(connections - seen, 1);
});
