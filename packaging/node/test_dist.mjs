// The clean-room proof of the npm packages (make test-dist-node), run by /usr/bin/node under
// `env -i PATH=/usr/bin:/bin HOME=<fresh>`: no cargo or rustc on PATH, no npm user config.
//
// In a fresh npm project it installs dist/polypay-<v>.tgz and dist/polypay-linux-x64-gnu-<v>.tgz
// with the root README's `npm install ./dist/…` line (npm --offline: nothing of polypay comes from
// a registry), then
//   - checks the addon: ELF, stripped, highest GLIBC_ symbol version <= 2.17 (objdump -T);
//   - takes the Node quickstart from bindings-node/README.md (the ```js block after
//     `<!-- quickstart -->`) and runs it as CommonJS and as an ES module against `polypay sandbox`;
//   - fakes another platform (process.platform / process.arch) and expects the loader's errors;
//   - compiles a consumer with `tsc --strict` against the installed package's types
//     (typescript and @types/node at bindings-node's locked versions, from the configured registry);
//   - installs dist/polypay-cli-<v>.tgz: `npx polypay --version`, npx straight from the tarball,
//     and `polypay sandbox` through the launcher, stopped by SIGTERM.
//
//   node test_dist.mjs --root <repo> --dist <dist> --version <v> --sandbox <polypay binary>
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    root: { type: 'string' }, dist: { type: 'string' }, version: { type: 'string' },
    sandbox: { type: 'string' }, keep: { type: 'boolean', default: false },
  },
});
const root = resolve(opts.root);
const dist = resolve(opts.dist);
const version = opts.version;
const GLIBC_LIMIT = [2, 17];
let passed = 0;

function fail(message) {
  console.error(`FAIL: ${message}`);
  console.log(`test-dist-node: ${passed} passed, 1 failed`);
  process.exit(1);
}
function ok(message) {
  passed += 1;
  console.log(`  ok ${passed} - ${message}`);
}
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...options });
  if (r.error) fail(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !options.allowFailure) {
    fail(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

// --- the clean room itself
for (const tool of ['cargo', 'rustc']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) fail(`${tool} is on PATH: not a clean room`);
}
ok(`no cargo or rustc on PATH (${process.env.PATH}); node ${process.version}`);

const tarball = (name) => {
  const file = join(dist, `${name}-${version}.tgz`);
  if (!existsSync(file)) fail(`${file} is missing (make dist-node)`);
  return file;
};
const mainTgz = tarball('polypay');
const platformTgz = tarball('polypay-linux-x64-gnu');
const cliTgz = tarball('polypay-cli');

const project = mkdtempSync(join(tmpdir(), 'polypay-npm-'));
process.on('exit', () => { if (!opts.keep) rmSync(project, { recursive: true, force: true }); });
const npm = (args, options = {}) => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, ...options });
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'polypay-consumer', version: '1.0.0', private: true }, null, 2));

// --- install the two tarballs, offline, with the root README's own `npm install ./dist/…` line
function readmeNpmInstall() {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const block = text.match(/<!--\s*install-from-dist[^>]*-->\s*```sh\n([\s\S]*?)\n```/);
  if (!block) fail('README.md has no ```sh block after <!-- install-from-dist -->');
  const lines = block[1].split('\n').map((l) => l.split('#')[0].trim().split(/\s+/)).filter((w) => w[0] === 'npm' && w[1] === 'install');
  if (lines.length !== 1) fail(`README.md: expected one \`npm install\` line after <!-- install-from-dist -->, found ${lines.length}`);
  // Shell globs (`*`, `[0-9]`) of files in one folder, expanded as sh would, from the repo root.
  return lines[0].slice(2).map((pattern) => {
    const folder = resolve(root, pattern.slice(0, pattern.lastIndexOf('/') + 1));
    const name = pattern.slice(pattern.lastIndexOf('/') + 1);
    const re = new RegExp('^' + name.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$');
    const matches = readdirSync(folder).filter((f) => re.test(f));
    if (matches.length !== 1) fail(`README.md: \`${pattern}\` matches ${JSON.stringify(matches)}, expected one file`);
    return join(folder, matches[0]);
  });
}
const readmeTarballs = readmeNpmInstall();
if (JSON.stringify(readmeTarballs) !== JSON.stringify([mainTgz, platformTgz])) {
  fail(`README.md's npm install line names ${readmeTarballs.join(' ')}, not ${mainTgz} ${platformTgz}`);
}
npm(['install', '--offline', ...readmeTarballs]);
const installed = (name) => JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8'));
const main = installed('polypay');
if (main.version !== version) fail(`installed polypay is ${main.version}, expected ${version}`);
if (main.optionalDependencies?.['polypay-linux-x64-gnu'] !== version) {
  fail(`polypay's optionalDependencies do not name polypay-linux-x64-gnu@${version}: ${JSON.stringify(main.optionalDependencies)}`);
}
if (existsSync(join(project, 'node_modules', 'polypay', 'build'))) fail('the main package carries a build/ directory');
const platformPkg = installed('polypay-linux-x64-gnu');
const addon = join(project, 'node_modules', 'polypay-linux-x64-gnu', platformPkg.main);
ok(`README.md's npm install ./dist/polypay-${version}.tgz ./dist/polypay-linux-x64-gnu-${version}.tgz, --offline (optionalDependencies ${JSON.stringify(main.optionalDependencies)})`);

// --- the native files: ELF, stripped, glibc <= 2.17
function glibcCheck(file, label) {
  const head = readFileSync(file).subarray(0, 4);
  if (head.toString('latin1') !== '\x7fELF') fail(`${label} is not an ELF file`);
  const dyn = run('objdump', ['-T', file]).stdout;
  const versions = [...new Set([...dyn.matchAll(/GLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]))]
    .map((v) => v.split('.').map(Number))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] ?? 0) - (b[2] ?? 0));
  if (versions.length === 0) fail(`${label}: no GLIBC_ symbol versions (objdump -T)`);
  const highest = versions[versions.length - 1];
  const over = versions.filter((v) => v[0] > GLIBC_LIMIT[0] || (v[0] === GLIBC_LIMIT[0] && v[1] > GLIBC_LIMIT[1]));
  if (over.length > 0) fail(`${label} needs ${over.map((v) => 'GLIBC_' + v.join('.')).join(', ')} (> 2.17)`);
  const sections = run('readelf', ['-S', '-W', file]).stdout;
  if (/\s\.symtab\s/.test(sections)) fail(`${label} is not stripped (.symtab present)`);
  const size = statSync(file).size;
  ok(`${label}: ${(size / 1048576).toFixed(2)} MiB (${size} bytes), stripped, highest GLIBC_${highest.join('.')} <= 2.17`);
}
glibcCheck(addon, `addon ${platformPkg.main}`);

// --- the README quickstart, CommonJS and ESM, against the sandbox
const readme = readFileSync(join(root, 'bindings-node', 'README.md'), 'utf8');
const block = readme.match(/<!--\s*quickstart\s*-->\s*```js\n([\s\S]*?)\n```/);
if (!block) fail('bindings-node/README.md has no ```js block after <!-- quickstart -->');
let code = block[1];
// The README's client reads `baseUrl: process.env.POLYPAY_BASE_URL`, as the docs' samples do.
if (!code.includes('baseUrl: process.env.POLYPAY_BASE_URL')) fail('the quickstart no longer points its client at POLYPAY_BASE_URL');
const requires = /^const (\{[^}]*\}) = require\('(polypay(?:\/[a-z]+)?)'\);/gm;
if (!requires.test(code)) fail("the quickstart no longer starts with `const { … } = require('polypay');`");
writeFileSync(join(project, 'quickstart.cjs'),
  `'use strict';\n(async () => {\n${code}\n})().catch((e) => { console.error(e); process.exitCode = 1; });\n`);
writeFileSync(join(project, 'quickstart.mjs'), code.replace(requires, 'import $1 from \'$2\';'));

function startSandbox(cmd, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, [...args, 'sandbox', '--port', '0', '--print-config'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (c, s) => reject(new Error(`sandbox exited (${c ?? s}): ${stderr}`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      child.removeAllListeners('exit');
      const config = JSON.parse(line);
      resolvePromise({
        config,
        child,
        stop: () => new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done({ code: child.exitCode, signal: child.signalCode });
          child.once('exit', (c, s) => done({ code: c, signal: s }));
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

const sandbox = await startSandbox(opts.sandbox, []).catch((e) => fail(e.message));
try {
  const p = sandbox.config.paycore;
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME,
    POLYPAY_BASE_URL: sandbox.config.base_url, POLYPAY_PUBLIC_KEY: p.public_key_test,
    POLYPAY_ACCOUNT_ID: p.account_id, POLYPAY_API_KEY: p.api_key, POLYPAY_SECRET_KEY: p.secret_key_test,
  };
  for (const file of ['quickstart.cjs', 'quickstart.mjs']) {
    const r = spawnSync(process.execPath, [file], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) fail(`${file} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    if (!r.stdout.includes('100.55')) fail(`${file} did not print the invoice's amount 100.55:\n${r.stdout}\n${r.stderr}`);
    ok(`README quickstart as ${file.endsWith('.mjs') ? 'ESM' : 'CommonJS'} against ${opts.sandbox} sandbox: ${r.stdout.trim().split('\n')[0]}`);
  }
} finally {
  await sandbox.stop();
}

// --- another platform: the loader names it and the supported list
function fakePlatform(platform, arch, esm) {
  const fake = `Object.defineProperty(process, 'platform', { value: '${platform}' }); Object.defineProperty(process, 'arch', { value: '${arch}' });`;
  const args = esm ? ['--input-type=module', '-e', `${fake} await import('polypay');`] : ['-e', `${fake} require('polypay');`];
  return spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8' });
}
for (const esm of [false, true]) {
  const r = fakePlatform('freebsd', 'x64', esm);
  const message = `${r.stderr}`;
  if (r.status === 0) fail(`polypay loaded on a faked freebsd-x64 (${esm ? 'ESM' : 'CJS'})`);
  for (const needle of ['freebsd-x64', 'Supported platforms', 'linux-x64-gnu', 'darwin-arm64', 'win32-x64-msvc']) {
    if (!message.includes(needle)) fail(`the unsupported-platform error does not mention ${needle}:\n${message}`);
  }
  ok(`faked freebsd-x64 (${esm ? 'ESM' : 'CommonJS'}): ${(message.match(/polypay: no native addon[^\n]*/)?.[0] ?? '').slice(0, 110)}…`);
}
{
  const r = fakePlatform('linux', 'arm64', false);
  if (r.status === 0 || !r.stderr.includes('polypay-linux-arm64-gnu') || !r.stderr.includes('not installed')) {
    fail(`a supported platform without its package (faked linux-arm64) does not name polypay-linux-arm64-gnu:\n${r.stderr}`);
  }
  ok('faked linux-arm64 (supported, package not installed): the error names polypay-linux-arm64-gnu');
}

// --- tsc --strict against the installed package's types
const lock = JSON.parse(readFileSync(join(root, 'bindings-node', 'package-lock.json'), 'utf8')).packages;
const pins = ['typescript', '@types/node'].map((name) => `${name}@${lock[`node_modules/${name}`].version}`);
npm(['install', '--prefer-offline', '--save-dev', ...pins]);
for (const f of ['consumer.ts', 'consumer-esm.mts', 'tsconfig.json']) copyFileSync(join(root, 'packaging', 'node', 'consumer', f), join(project, f));
run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project });
ok(`tsc --strict (${pins.join(', ')}) compiles consumer.ts and consumer-esm.mts against the installed types`);

// --- the CLI package: npx polypay
npm(['install', '--offline', cliTgz]);
const cliBinary = join(project, 'node_modules', 'polypay-cli', 'bin', 'linux-x64-gnu', 'polypay');
glibcCheck(cliBinary, 'polypay-cli bin/linux-x64-gnu/polypay');
const expected = `polypay ${version}`;
{
  const r = run('npx', ['--offline', 'polypay', '--version'], { cwd: project });
  if (r.stdout.trim() !== expected) fail(`npx polypay --version printed ${JSON.stringify(r.stdout)}, expected ${expected}`);
  ok(`npx polypay --version (installed polypay-cli-${version}.tgz): ${r.stdout.trim()}`);
}
{
  const elsewhere = mkdtempSync(join(tmpdir(), 'polypay-npx-'));
  const r = run('npx', ['--yes', '--offline', `--package=${cliTgz}`, 'polypay', '--version'], { cwd: elsewhere });
  rmSync(elsewhere, { recursive: true, force: true });
  if (r.stdout.trim() !== expected) fail(`npx --package=polypay-cli tarball polypay --version printed ${JSON.stringify(r.stdout)}`);
  ok(`npx --package=polypay-cli-${version}.tgz polypay --version, in an empty directory: ${r.stdout.trim()}`);
}
{
  const launcher = join(project, 'node_modules', '.bin', 'polypay');
  const sb = await startSandbox(launcher, []).catch((e) => fail(`polypay sandbox through the npm launcher: ${e.message}`));
  const { base_url: base } = sb.config;
  const res = await fetch(`${base}/api/account/balances`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${sb.config.paycore.account_id}:${sb.config.paycore.api_key}`).toString('base64') },
  });
  if (res.status !== 200) fail(`the sandbox started by the launcher answered ${res.status}`);
  const exit = await sb.stop();
  const { port, hostname } = new URL(base);
  const refused = await new Promise((done) => {
    const s = net.connect(Number(port), hostname);
    s.once('connect', () => { s.destroy(); done(false); });
    s.once('error', () => done(true));
  });
  if (!refused) fail(`the sandbox still listens at ${base} after SIGTERM to the launcher`);
  ok(`npx polypay sandbox: served ${base}, stopped by SIGTERM to the launcher (${exit.signal ?? 'exit ' + exit.code}), port closed`);
}
{
  const fake = "Object.defineProperty(process, 'platform', { value: 'freebsd' });";
  const r = spawnSync(process.execPath, ['-e', `${fake} require('./node_modules/polypay-cli/bin/polypay.js')`, '--', '--version'], { cwd: project, encoding: 'utf8' });
  if (r.status === 0 || !r.stderr.includes('freebsd-x64') || !r.stderr.includes('linux-x64-gnu')) {
    fail(`the CLI launcher on a faked freebsd-x64 does not say so:\n${r.stdout}\n${r.stderr}`);
  }
  ok(`polypay-cli on a faked freebsd-x64: ${r.stderr.trim().slice(0, 100)}…`);
}

console.log(`test-dist-node: ${passed} passed, 0 failed`);
