// The loader (lib/native.ts) and the napi-rs platform packages (npm/<platform>/, issue 15): the
// supported list is package.json's napi.targets, each has its package directory, and a platform
// without an addon gets an error naming it and that list. The installed packages themselves are
// tested in a clean room by `make test-dist-node` (packaging/node/test_dist.mjs).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { SUPPORTED_PLATFORMS, platformOfTriple, currentPlatform } = require('../dist/native.js');

const root = path.join(__dirname, '..');
const pkg = require('../package.json');

test('napi-rs names of the target triples', () => {
  assert.equal(platformOfTriple('x86_64-unknown-linux-gnu'), 'linux-x64-gnu');
  assert.equal(platformOfTriple('aarch64-unknown-linux-musl'), 'linux-arm64-musl');
  assert.equal(platformOfTriple('aarch64-apple-darwin'), 'darwin-arm64');
  assert.equal(platformOfTriple('x86_64-pc-windows-msvc'), 'win32-x64-msvc');
  assert.equal(currentPlatform('darwin', 'arm64'), 'darwin-arm64');
  assert.equal(currentPlatform('win32', 'x64'), 'win32-x64-msvc');
});

test('every supported platform has its npm/<platform> package at the same version', () => {
  assert.ok(SUPPORTED_PLATFORMS.includes('linux-x64-gnu'));
  assert.deepEqual([...SUPPORTED_PLATFORMS].sort(), fs.readdirSync(path.join(root, 'npm')).sort());
  for (const platform of SUPPORTED_PLATFORMS) {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'npm', platform, 'package.json'), 'utf8'));
    assert.equal(manifest.name, `polypay-${platform}`);
    assert.equal(manifest.version, pkg.version, `npm/${platform}/package.json version`);
    assert.equal(manifest.main, `polypay.${platform}.node`);
    assert.deepEqual(manifest.os, [platform.split('-')[0]]);
  }
});

test('the published files leave the local build out', () => {
  assert.ok(!pkg.files.some((f) => f.startsWith('build')), `files: ${pkg.files}`);
});

function requireAs(platform, arch, env = {}) {
  const fake = `Object.defineProperty(process, 'platform', { value: '${platform}' });` +
    `Object.defineProperty(process, 'arch', { value: '${arch}' });`;
  return spawnSync(process.execPath, ['-e', `${fake} require('.')`], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '', ...env },
  });
}

test('an unsupported platform: an error naming it and the supported list', () => {
  const r = requireAs('freebsd', 'x64');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /polypay: no native addon for this platform \(freebsd-x64, Node v[\d.]+\)/);
  assert.match(r.stderr, new RegExp(`Supported platforms: ${SUPPORTED_PLATFORMS.join(', ')}\\.`));
});

test('a supported platform whose package is missing: an error naming the package', () => {
  const r = requireAs('darwin', 'arm64');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /the native addon for darwin-arm64 is the package polypay-darwin-arm64, an optionalDependency of polypay, and it is not installed/);
});

test('NAPI_RS_NATIVE_LIBRARY_PATH wins over the platform', () => {
  const local = path.join(root, 'build', `polypay.${currentPlatform()}.node`);
  const r = requireAs('freebsd', 'x64', { NAPI_RS_NATIVE_LIBRARY_PATH: local });
  assert.equal(r.status, 0, r.stderr);
});
