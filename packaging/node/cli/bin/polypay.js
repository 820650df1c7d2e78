#!/usr/bin/env node
// Runs the prebuilt `polypay` binary of this platform (bin/<platform>/polypay), passing the
// arguments, stdio, signals and exit status through, so `npx polypay sandbox` behaves like the
// binary itself (Ctrl-C / SIGTERM stop the sandbox).
'use strict';
const { spawn } = require('node:child_process');
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');

function isMusl() {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    const report = process.report && process.report.getReport();
    return !(report && report.header && report.header.glibcVersionRuntime);
  }
}

function currentPlatform() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const here = __dirname;
const platform = currentPlatform();
const exe = path.join(here, platform, process.platform === 'win32' ? 'polypay.exe' : 'polypay');
if (!existsSync(exe)) {
  const supported = readdirSync(here, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  console.error(`polypay-cli: no polypay binary for this platform (${platform}). ` +
    `This package carries: ${supported.join(', ') || 'none'}. ` +
    'Elsewhere, build it from source: cargo install --path cli (in the polypay repository).');
  process.exit(1);
}

const child = spawn(exe, process.argv.slice(2), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => { if (child.exitCode === null) child.kill(signal); });
}
child.on('error', (e) => { console.error(`polypay-cli: cannot run ${exe}: ${e.message}`); process.exit(1); });
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
