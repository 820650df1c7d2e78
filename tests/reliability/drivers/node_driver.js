'use strict';
// Fault-campaign driver for the Node package: `node node_driver.js CONFIG OUT`.
// Runs the plan of creates from CONFIG (see ../README.md) through `PayCoreClient` with
// `concurrency` calls in flight, records every call's outcome and duration, snapshots the
// sandbox's statistics, then settles each `outcomeUnknown` error by looking its reference_id up
// with the same client. Writes the result JSON to OUT.
const fs = require('node:fs');
const path = require('node:path');
const { PayCoreClient, PolypayError } = require(path.join(__dirname, '..', '..', '..', 'bindings-node'));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const [configPath, outPath] = process.argv.slice(2);
  const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const client = new PayCoreClient({
    baseUrl: cfg.base_url,
    accountId: cfg.account_id,
    apiKey: cfg.api_key,
    timeout: cfg.deadline_s * 1000,
    requestTimeout: cfg.request_timeout_s * 1000,
    connectTimeout: cfg.connect_timeout_s * 1000,
    maxRetries: cfg.max_retries,
  });
  const create = {
    payment: (fields) => client.createPaymentInvoice(fields),
    payout: (fields) => client.createPayoutInvoice(fields),
  };
  const find = {
    payment: (ref) => client.findPaymentInvoice(ref),
    payout: (ref) => client.findPayoutInvoice(ref),
  };

  const calls = new Array(cfg.plan.length);
  let next = 0;
  async function worker() {
    while (next < cfg.plan.length) {
      const i = next++;
      const item = cfg.plan[i];
      const started = performance.now();
      let outcome;
      try {
        const invoice = await create[item.kind](item.fields);
        outcome = { ok: true, id: invoice.id, status: invoice.status, reconciled: invoice.response.reconciled };
      } catch (e) {
        // Anything that is not a PolypayError is a crash of the binding: recorded as such.
        const known = e instanceof PolypayError;
        outcome = {
          ok: false,
          error: {
            kind: known ? e.kind : `crash:${e && e.name}`,
            code: known ? e.code : null,
            http_status: known ? e.httpStatus : null,
            outcome_unknown: known ? e.outcomeUnknown : null,
            message: String(e && e.message).slice(0, 300),
          },
        };
      }
      calls[i] = {
        i,
        kind: item.kind,
        reference_id: item.fields.reference_id,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        ...outcome,
      };
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: cfg.concurrency }, worker));
  const wallS = (performance.now() - started) / 1000;
  const stats = await (await fetch(`${cfg.base_url}/__sandbox/stats`)).json();

  if (calls.some((call) => !call.ok && call.error.outcome_unknown)) {
    await new Promise((resolve) => setTimeout(resolve, cfg.settle_after_s * 1000)); // a lost create may still be landing
  }
  for (const call of calls) {
    if (call.ok || !call.error.outcome_unknown) continue;
    for (let attempt = 1; attempt <= cfg.settle_attempts; attempt++) {
      try {
        const found = await find[call.kind](call.reference_id);
        call.settled = { found: found !== null, id: found ? found.id : null, attempts: attempt };
        break;
      } catch (e) {
        if (!(e instanceof PolypayError)) throw e;
        call.settled = { error: String(e.message).slice(0, 300), attempts: attempt };
        await sleep(1000);
      }
    }
  }
  fs.writeFileSync(outPath, JSON.stringify({ client: cfg.client, wall_s: wallS, stats_after_calls: stats, calls }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
