// Runs the shop: `node server.js` (configuration from the environment, see README.md).
'use strict';
const { createApp, configFromEnv } = require('./app');

const config = configFromEnv();
const { app } = createApp(config, { log: (line) => console.log(`[express-shop] ${line}`) });
const server = app.listen(config.port, '127.0.0.1', () => {
  console.log(`[express-shop] listening on ${config.shopBaseUrl} (PayCore ${config.paycoreBaseUrl}, ecommpay ${config.ecommpayBaseUrl})`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
