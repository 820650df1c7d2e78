// The ESM entry points expose the same objects as the CommonJS ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ecommpay, PayCoreClient, PolypayError } from 'polypay';
import { paycoreCallback } from 'polypay/express';
import * as testing from 'polypay/testing';
import * as ledger from 'polypay/ledger';
import * as esm from 'polypay';

const require = createRequire(import.meta.url);

test('ESM and CommonJS share one module instance', () => {
  const cjs = require('polypay');
  assert.equal(PayCoreClient, cjs.PayCoreClient);
  assert.equal(PolypayError, cjs.PolypayError);
  assert.equal(typeof paycoreCallback, 'function');
  assert.equal(typeof testing.paycoreCallback, 'function');
  assert.equal(ecommpay.sign('{"a":1}', 's'), cjs.ecommpay.sign('{"a":1}', 's'));
});

test('the ESM entry point names every CommonJS export', () => {
  const cjs = require('polypay');
  const missing = Object.keys(cjs).filter((name) => name !== 'default' && esm[name] !== cjs[name]);
  assert.deepEqual(missing, []);
});

test('require of the package folder loads it', () => {
  const p = require('../');
  assert.equal(typeof p.paycore.hppUrl, 'function');
});

test('polypay/ledger names every CommonJS export', () => {
  const cjs = require('polypay/ledger');
  const missing = Object.keys(cjs).filter((name) => ledger[name] !== cjs[name]);
  assert.deepEqual(missing, []);
  assert.equal(ledger.decide({ kind: 'paycore.payment', entityId: 'cpi_1', status: 'processed', time: null }), 'apply');
});

test('polypay/express, polypay/fastify and polypay/web name every CommonJS export', async () => {
  for (const name of ['express', 'fastify', 'web']) {
    const esmModule = await import(`polypay/${name}`);
    const cjs = require(`polypay/${name}`);
    const missing = Object.keys(cjs).filter((key) => esmModule[key] !== cjs[key]);
    assert.deepEqual(missing, [], name);
  }
  const { paycoreRouteHandler } = await import('polypay/web');
  const { callbackRoutes } = await import('polypay/fastify');
  assert.equal(typeof paycoreRouteHandler, 'function');
  assert.equal(typeof callbackRoutes, 'function');
});
