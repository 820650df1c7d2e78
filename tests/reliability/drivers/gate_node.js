// Gate fault-campaign driver for the Node package: `node gate_node.js CONFIG OUT`. Sends the
// plan's refunds and payouts through `EcommpayGateApi`, 16 in flight, and records every call's
// outcome (see ../gate_campaign.py).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { EcommpayGateApi } = require(path.join(__dirname, '..', '..', '..', 'bindings-node'));

async function main() {
  const [configPath, outPath] = process.argv.slice(2);
  const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const gate = new EcommpayGateApi({
    projectId: cfg.project_id, secretKey: cfg.secret_key, baseUrl: cfg.base_url, timeout: cfg.deadline_s * 1000,
    requestTimeout: cfg.request_timeout_s * 1000, maxRetries: cfg.max_retries, statusDelay: cfg.status_delay_s * 1000,
  });
  const calls = new Array(cfg.plan.length);
  let next = 0;
  async function worker() {
    while (next < cfg.plan.length) {
      const i = next++;
      const item = cfg.plan[i];
      const started = performance.now();
      let outcome;
      try {
        const accepted = await gate[item.kind](item.request);
        outcome = { ok: true, reconciled: accepted.reconciled };
      } catch (e) {
        outcome = { ok: false, error: {
          kind: e.kind ?? `crash:${e.name}`, code: e.code ?? null, outcome_unknown: e.outcomeUnknown ?? null,
          payment_id: e.paymentId ?? null, message: String(e.message).slice(0, 300),
        } };
      }
      calls[i] = { i, duration_ms: Math.round((performance.now() - started) * 10) / 10, ...outcome };
    }
  }
  await Promise.all(Array.from({ length: cfg.concurrency }, worker));
  fs.writeFileSync(outPath, JSON.stringify({ client: cfg.client, calls }));
}

main().catch((e) => { console.error(e); process.exit(1); });
