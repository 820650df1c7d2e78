// Every case of tests/vectors/*.json through the public JS API.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const polypay = require('..');
const { ecommpay, paycore, EcommpayGate, PolypayError, SignatureVerificationError, InvalidInputError, _internals } = polypay;

const dir = path.join(__dirname, '..', '..', 'tests', 'vectors');
const load = (name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));

function kindOf(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PolypayError, `not a PolypayError: ${e}`);
    return e.kind;
  }
  return null;
}

test('ecommpay_sign.json: string to sign and signature (params_json, and params when order-safe)', () => {
  const doc = load('ecommpay_sign.json');
  assert.ok(doc.cases.length > 0);
  for (const c of doc.cases) {
    assert.equal(ecommpay.stringToSign(c.params_json), c.string_to_sign, c.id);
    assert.equal(ecommpay.sign(c.params_json, c.secret), c.signature, c.id);
    // A Map built from the parsed JSON keeps the order too (lexemes may differ for floats).
    if (c.all_sdks_agree) {
      assert.equal(ecommpay.sign(new Map(Object.entries(c.params)), c.secret), c.signature, `${c.id} (Map)`);
    }
  }
});

test('ecommpay_natsort.json through the core', () => {
  for (const c of load('ecommpay_natsort.json').cases) {
    assert.equal(_internals.natcmp(c.a, c.b), c.cmp, c.id);
  }
});

test('php_float.json through the core', () => {
  for (const c of load('php_float.json').cases) {
    assert.equal(_internals.phpFloat(Number(c.json_lexeme)), c.php_string, c.id);
  }
});

test('ecommpay_url.json: signed Payment Page URLs', () => {
  for (const c of load('ecommpay_url.json').cases) {
    const options = c.base_url === null ? {} : { baseUrl: c.base_url };
    assert.equal(ecommpay.paymentPageUrl(c.params_json, c.secret, options), c.url, c.id);
    assert.ok(c.url.endsWith(`signature=${encodeURIComponent(c.signature)}`), c.id);
  }
});

test('ecommpay_callback.json: verdicts, ids and statuses (string and Buffer bodies)', () => {
  for (const c of load('ecommpay_callback.json').cases) {
    for (const body of [c.body, Buffer.from(c.body, 'utf8')]) {
      let callback = null;
      let error = null;
      try {
        callback = ecommpay.verifyCallback(body, c.secret);
      } catch (e) {
        assert.ok(e instanceof PolypayError, `${c.id}: ${e}`);
        error = e.kind;
        if (error === 'signature') assert.ok(e instanceof SignatureVerificationError);
        if (error === 'invalid_input') assert.ok(e instanceof InvalidInputError && e instanceof RangeError);
      }
      assert.equal(callback !== null, c.valid, c.id);
      assert.equal(error, c.error, c.id);
      if (callback) {
        assert.equal(callback.paymentId, c.payment_id, `${c.id} payment_id`);
        assert.equal(callback.paymentStatus, c.payment_status, `${c.id} payment_status`);
        assert.equal(ecommpay.stringToSign(stripSignatures(callback.raw)) !== undefined, true);
        // The typed members (read in the verifying pass) agree with the parsed body.
        const raw = callback.raw;
        const member = (o, k) => {
          const v = o && typeof o === 'object' && !Array.isArray(o) ? o[k] : undefined;
          return v === undefined || v === null ? null : (typeof v === 'number' ? String(v) : v);
        };
        const token = member(raw.account, 'token');
        assert.equal(callback.cardToken, token ?? member(raw, 'token'), `${c.id} cardToken`);
        assert.equal(callback.cardMask, member(raw.account, 'number'), `${c.id} cardMask`);
        assert.equal(callback.customerId, member(raw.customer, 'id'), `${c.id} customerId`);
        assert.equal(callback.recurringId, member(raw.recurring, 'id'), `${c.id} recurringId`);
        assert.equal(callback.paymentMethod, member(raw.payment, 'method'), `${c.id} paymentMethod`);
        if (c.id === 'cb-success') {
          assert.deepEqual([callback.cardMask, callback.cardToken, callback.paymentMethod], ['531234******4321', 'c0ffee12ab', 'card']);
        }
      }
    }
  }
});

function stripSignatures(v) {
  if (Array.isArray(v)) return v.map(stripSignatures);
  if (v && typeof v === 'object') {
    const out = new Map();
    for (const [k, x] of Object.entries(v)) if (k !== 'signature') out.set(k, stripSignatures(x));
    return out;
  }
  return v;
}

test('EcommpayGate agrees with the functions on every callback and URL vector', () => {
  for (const c of load('ecommpay_callback.json').cases) {
    const gate = new EcommpayGate({ projectId: 1, secretKey: c.secret });
    const a = kindOf(() => gate.verifyCallback(c.body));
    const b = kindOf(() => ecommpay.verifyCallback(c.body, c.secret));
    assert.equal(a, b, c.id);
  }
  for (const c of load('ecommpay_url.json').cases) {
    const gate = new EcommpayGate({ projectId: 1, secretKey: c.secret, baseUrl: c.base_url ?? undefined });
    if (c.params && Object.prototype.hasOwnProperty.call(c.params, 'project_id')) {
      assert.equal(gate.paymentPageUrl(c.params_json), c.url, c.id);
    }
  }
});

test('EcommpayGate builds every purchase URL vector from the payment fields (project_id from the gate)', () => {
  let checked = 0;
  let refused = 0;
  for (const c of load('ecommpay_url.json').cases) {
    const keys = Object.keys(c.params ?? {});
    const projectId = Number(c.params?.project_id);
    // The gate puts project_id, interface_type and payment_id first: vectors already in that order.
    const head = keys.filter((k) => ['project_id', 'interface_type', 'payment_id'].includes(k));
    if (keys[0] !== 'project_id' || !Number.isSafeInteger(projectId) || String(projectId) !== String(c.params.project_id) ||
        head.join() !== keys.slice(0, head.length).join() || (head[1] === 'payment_id' && head[2] === 'interface_type')) continue;
    // The JSON text without its first member, so that number lexemes stay as they are.
    const fields = c.params_json.replace(/^\{"project_id":("[^"]*"|[^,}]*),?/, '{');
    assert.equal(JSON.parse(fields).project_id, undefined, c.id);
    const gate = new EcommpayGate({ projectId, secretKey: c.secret, baseUrl: c.base_url ?? undefined });
    // A purchase needs its id, amount and currency, and no ';' (the raw-params vectors test the
    // signing of anything): the gate refuses the others before signing, naming the field.
    const p = c.params;
    const purchase = ['payment_id', 'payment_amount', 'payment_currency'].every((k) => p[k] != null) &&
      !c.params_json.includes(';') && !('recurring_register' in p) && !('account_token' in p);
    if (purchase) {
      assert.equal(gate.paymentPageUrl(fields), c.url, c.id);
      checked++;
    } else {
      assert.throws(() => gate.paymentPageUrl(fields), (e) => e instanceof InvalidInputError && e.argument !== null, c.id);
      refused++;
    }
  }
  assert.ok(checked >= 4 && refused >= 10, `only ${checked} built and ${refused} refused`);
});

test('flat parameters (signed as NUL-joined pairs) sign as their JSON text does', () => {
  // A seeded walk over awkward keys and values: integer-like keys (PHP array semantics), ':' in
  // keys, the ignored frame_mode, empty strings, non-ASCII, and NULs, which send them to JSON.
  const keys = ['payment_id', '0', '7', '12', '', 'a:b', 'frame_mode', 'ü', 'x\0y', 'k'];
  const values = ['', 'plain', 'ü € 𝄞', 'a\0b', ';:', 0, -1, 125000, Number.MAX_SAFE_INTEGER, '0'];
  let seed = 42;
  const next = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const gate = new EcommpayGate({ projectId: 1, secretKey: 'k' });
  for (let i = 0; i < 500; i++) {
    const params = {};
    for (let j = next(6); j >= 0; j--) params[keys[next(keys.length)]] = values[next(values.length)];
    const json = JSON.stringify(params);
    assert.equal(ecommpay.sign(params, 'k'), ecommpay.sign(json, 'k'), json);
    assert.equal(gate.sign(params), ecommpay.sign(json, 'k'), json);
  }
});

test('EcommpayGate never shows its secret key', () => {
  const util = require('node:util');
  const gate = new EcommpayGate({ projectId: 1, secretKey: 'sk-never-shown' });
  for (const shown of [util.inspect(gate, { showHidden: true, depth: 5 }), JSON.stringify(gate), String(gate),
    Object.getOwnPropertyNames(gate).join()]) {
    assert.ok(!shown.includes('sk-never-shown'), shown);
  }
});

function bodyOf(c) {
  return c.body_base64 !== undefined ? Buffer.from(c.body_base64, 'base64') : c.body;
}

test('paycore_signature.json: X-Signature, every verdict and error code', () => {
  const doc = load('paycore_signature.json');
  for (const c of doc.cases) {
    const body = bodyOf(c);
    assert.equal(paycore.signCallback(body, c.secret), c.signature, c.id);
    for (const v of c.verify) {
      let code = null;
      try {
        paycore.verifySignature(body, v.signature, c.secret);
      } catch (e) {
        assert.ok(e instanceof SignatureVerificationError, `${c.id}: ${e}`);
        code = e.code;
      }
      assert.equal(code === null, v.valid, `${c.id} ${v.signature}`);
      assert.equal(code, v.error, `${c.id} ${v.signature}`);
    }
  }
  for (const s of doc.secret_errors) {
    assert.throws(() => paycore.signCallback('{}', s.secret), (e) =>
      e instanceof InvalidInputError && e instanceof RangeError && e.code === s.error && e.argument !== null, JSON.stringify(s));
  }
});

test('paycore_callback.json: events or errors', () => {
  for (const c of load('paycore_callback.json').cases) {
    let event = null;
    let error = null;
    try {
      event = paycore.verifyCallback(Buffer.from(c.body, 'utf8'), c.signature, c.secret);
    } catch (e) {
      assert.ok(e instanceof PolypayError, `${c.id}: ${e}`);
      error = e.kind;
    }
    assert.equal(error, c.error, c.id);
    if (c.expected) {
      const x = c.expected;
      assert.equal(event.eventType, x.type, c.id);
      assert.equal(event.id, x.id, c.id);
      assert.equal(event.status ?? null, x.status ?? '', c.id);
      assert.equal(event.isFinal, x.is_final, c.id);
      assert.equal(event.isSuccess, x.is_success, c.id);
      const inv = event.invoice;
      if (inv) {
        assert.equal((inv.resolution ?? '').toLowerCase(), (x.resolution ?? '').toLowerCase(), `${c.id} resolution`);
        assert.equal(inv.amount, x.amount, `${c.id} amount`);
        assert.equal(inv.currency, x.currency, `${c.id} currency`);
        assert.equal(inv.referenceId, x.reference_id, `${c.id} reference_id`);
        assert.equal(inv.testMode, x.test_mode, `${c.id} test_mode`);
      } else {
        for (const k of ['resolution', 'amount', 'currency', 'reference_id', 'test_mode']) assert.equal(x[k], null, `${c.id} ${k}`);
      }
    }
  }
});

test('paycore_hpp.json: links, forms and refusals', () => {
  const doc = load('paycore_hpp.json');
  for (const c of doc.cases) {
    const options = c.env ? { env: c.env } : { baseUrl: c.base_url };
    assert.equal(paycore.hppUrl(c.params_json, options), c.url, c.id);
    if (c.form_error) {
      assert.throws(() => paycore.hppForm(c.params_json, options),
        (e) => e instanceof InvalidInputError && e.argument === c.form_error.argument, c.id);
      continue;
    }
    const form = paycore.hppForm(c.params_json, options);
    assert.equal(form.action, c.form.action, c.id);
    assert.equal(form.method, c.form.method, c.id);
    assert.deepEqual(form.fields, c.form.fields, c.id);
    assert.match(form.html, /<form /);
  }
  for (const c of doc.errors) {
    const options = c.env ? { env: c.env } : { baseUrl: c.base_url };
    assert.throws(() => paycore.hppUrl(c.params_json, options), (e) => e instanceof InvalidInputError && e.kind === c.error, c.id);
    assert.throws(() => paycore.hppForm(c.params_json, options), (e) => e.kind === c.error, c.id);
  }
});

test('ecommpay.bestBefore writes a Date as PHP DateTime::format(\'c\') in UTC', () => {
  assert.equal(ecommpay.bestBefore(new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 999))), '2030-01-02T03:04:05+00:00');
  assert.throws(() => ecommpay.bestBefore('2030-01-02'), TypeError);
  assert.throws(() => ecommpay.bestBefore(new Date(NaN)), (e) => e instanceof InvalidInputError && e.code === 'invalid_date');
});

test('ecommpay_gate.json: Gate request bodies sign as the official SDK signed them, and verify', () => {
  const gate = load('ecommpay_gate.json');
  for (const c of gate.cases) {
    const unsigned = structuredClone(c.body);
    const holder = unsigned.general ?? unsigned;
    const expected = holder.signature;
    delete holder.signature;
    assert.equal(ecommpay.sign(unsigned, gate.secret), expected, c.id);
    assert.equal(ecommpay.verifyCallback(JSON.stringify(c.body), gate.secret).paymentId, c.body.general?.payment_id ?? null, c.id);
  }
});
