// Assembles the npm packages of polypay in a staging directory and `npm pack`s them into dist/.
//
//   node packaging/node/pack.mjs addon <artifacts-dir> <dist-dir>
//     The napi-rs layout: one platform package `polypay-<platform>` for each
//     `polypay.<platform>.node` in <artifacts-dir> (from bindings-node/npm/<platform>/), and the
//     main package `polypay` (bindings-node's "files", its TypeScript compiled afresh) whose
//     optionalDependencies are exactly those platform packages, at the same version.
//   node packaging/node/pack.mjs cli <polypay-binary> <dist-dir> [platform]
//     `polypay-cli` (packaging/node/cli/): a launcher and the binary in bin/<platform>/ (default
//     linux-x64-gnu), so `npx polypay …` runs it.
//
// One version: bindings-node/package.json's, stamped into every package packed here.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nodeDir = join(root, 'bindings-node');
const stageRoot = join(root, 'target', 'dist-node', 'stage');
const pkg = JSON.parse(readFileSync(join(nodeDir, 'package.json'), 'utf8'));
const { version } = pkg;
const binaryName = pkg.napi?.binaryName ?? pkg.name;

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const writeJson = (p, v) => writeFileSync(p, JSON.stringify(v, null, 2) + '\n');

function fresh(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

// `npm pack` into dist/, replacing earlier tarballs of the same package (any version).
function pack(dir, distDir) {
  const { name } = readJson(join(dir, 'package.json'));
  mkdirSync(distDir, { recursive: true });
  const earlier = new RegExp(`^${name.replace(/[-/]/g, '\\$&')}-\\d[^/]*\\.tgz$`);
  for (const f of readdirSync(distDir)) if (earlier.test(f)) rmSync(join(distDir, f));
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', distDir, dir], {
    encoding: 'utf8',
    env: { ...process.env, npm_config_ignore_scripts: 'true' },
  });
  const file = out.trim().split('\n').pop();
  console.log(`packed ${join(distDir, file)}`);
  return file;
}

function addon(artifactsDir, distDir) {
  const suffix = '.node';
  const prefix = `${binaryName}.`;
  const built = readdirSync(artifactsDir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
    .map((f) => f.slice(prefix.length, -suffix.length));
  if (built.length === 0) throw new Error(`no ${prefix}<platform>${suffix} in ${artifactsDir}`);
  const optionalDependencies = {};
  for (const platform of built) {
    const template = join(nodeDir, 'npm', platform);
    if (!existsSync(join(template, 'package.json'))) {
      throw new Error(`${template}/package.json is missing: add the target to napi.targets and run \`npx napi create-npm-dirs\``);
    }
    const dir = fresh(join(stageRoot, 'npm', platform));
    cpSync(template, dir, { recursive: true });
    const manifest = readJson(join(dir, 'package.json'));
    manifest.version = version;
    writeJson(join(dir, 'package.json'), manifest);
    copyFileSync(join(artifactsDir, `${prefix}${platform}${suffix}`), join(dir, manifest.main));
    pack(dir, distDir);
    optionalDependencies[manifest.name] = version;
  }

  const dir = fresh(join(stageRoot, pkg.name));
  // The TypeScript layer compiled from lib/ now, not whatever bindings-node/dist holds.
  execFileSync(join(nodeDir, 'node_modules', '.bin', 'tsc'), ['-p', join(nodeDir, 'tsconfig.json'), '--outDir', join(dir, 'dist')], { stdio: 'inherit' });
  for (const entry of pkg.files) {
    if (entry === 'dist') continue;
    cpSync(join(nodeDir, entry), join(dir, entry), { recursive: true });
  }
  copyFileSync(join(nodeDir, 'README.md'), join(dir, 'README.md'));
  const manifest = { ...pkg, optionalDependencies };
  delete manifest.scripts;
  delete manifest.devDependencies;
  delete manifest.overrides;
  writeJson(join(dir, 'package.json'), manifest);
  pack(dir, distDir);
}

function cli(binary, distDir, platform = 'linux-x64-gnu') {
  if (!existsSync(binary)) throw new Error(`${binary} is missing (make dist-cli builds it)`);
  const dir = fresh(join(stageRoot, 'polypay-cli'));
  cpSync(join(root, 'packaging', 'node', 'cli'), dir, { recursive: true });
  const manifest = readJson(join(dir, 'package.json'));
  manifest.version = version;
  writeJson(join(dir, 'package.json'), manifest);
  const exe = join(dir, 'bin', platform, platform.startsWith('win32') ? 'polypay.exe' : 'polypay');
  mkdirSync(dirname(exe), { recursive: true });
  copyFileSync(binary, exe);
  chmodSync(exe, 0o755);
  chmodSync(join(dir, 'bin', 'polypay.js'), 0o755);
  pack(dir, distDir);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'addon' && args.length === 2) addon(resolve(args[0]), resolve(args[1]));
else if (mode === 'cli' && args.length >= 2) cli(resolve(args[0]), resolve(args[1]), args[2]);
else {
  console.error('usage: pack.mjs addon <artifacts-dir> <dist-dir> | cli <polypay-binary> <dist-dir> [platform]');
  process.exit(2);
}
