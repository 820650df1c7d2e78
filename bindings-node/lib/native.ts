// Finds and loads the native addon (napi-rs). Everything else in the package goes through this
// module. In order:
//   1. `NAPI_RS_NATIVE_LIBRARY_PATH`: an explicit `.node` file (a custom or release build);
//   2. `build/polypay.<platform>.node` next to the package: a checkout built with `npm run build`
//      (any platform Rust can build for);
//   3. the platform package `polypay-<platform>` (e.g. `polypay-linux-x64-gnu`), one of the
//      published package's optionalDependencies; npm installs the one matching `os`/`cpu`/`libc`.
// A platform with no package gets an error naming it and the supported list.
import type * as Native from '../native';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface PackageJson {
  name: string;
  version: string;
  napi?: { binaryName?: string; targets?: string[] };
}

const packageRoot = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PackageJson;
const binaryName = pkg.napi?.binaryName ?? 'polypay';

const ARCH: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' };

/** napi-rs's `<platform>-<arch>[-<abi>]` name of a Rust target triple, e.g. `linux-x64-gnu`. */
export function platformOfTriple(triple: string): string {
  const parts = triple.split('-');
  const arch = ARCH[parts[0]] ?? parts[0];
  if (triple.includes('-apple-darwin')) return `darwin-${arch}`;
  if (triple.includes('-windows-')) return `win32-${arch}-${parts[parts.length - 1]}`;
  if (triple.includes('-linux-')) return `linux-${arch}-${parts[parts.length - 1].replace(/eabihf$/, '')}`;
  return `${parts[2] ?? 'unknown'}-${arch}`;
}

/** The platforms with a published `polypay-<platform>` package (`napi.targets` in package.json). */
export const SUPPORTED_PLATFORMS: readonly string[] = (pkg.napi?.targets ?? []).map(platformOfTriple);

function isMusl(): boolean {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return !report?.header?.glibcVersionRuntime;
  }
}

/** This process's platform in napi-rs's naming: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
export function currentPlatform(platform: string = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function load(): typeof Native {
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (override) return require(override);
  const platform = currentPlatform();
  const local = join(packageRoot, 'build', `${binaryName}.${platform}.node`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (existsSync(local)) return require(local);
  if (!SUPPORTED_PLATFORMS.includes(platform)) {
    throw new Error(
      `${pkg.name}: no native addon for this platform (${platform}, Node ${process.version}). ` +
        `Supported platforms: ${SUPPORTED_PLATFORMS.join(', ')}. ` +
        'Elsewhere, build the package from source (Rust and Node; see bindings-node/README.md).',
    );
  }
  const platformPackage = `${pkg.name}-${platform}`;
  let installed: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    installed = (require(`${platformPackage}/package.json`) as PackageJson).version;
  } catch (e) {
    throw new Error(
      `${pkg.name}: the native addon for ${platform} is the package ${platformPackage}, an ` +
        `optionalDependency of ${pkg.name}, and it is not installed. Install dependencies without ` +
        '--omit=optional / --no-optional; a lockfile made on another platform can miss it ' +
        '(npm bug https://github.com/npm/cli/issues/4828): remove node_modules and ' +
        'package-lock.json and install again, or `npm install ' + `${platformPackage}@${pkg.version}\`.`,
      { cause: e },
    );
  }
  if (installed !== pkg.version) {
    throw new Error(
      `${pkg.name}@${pkg.version} needs ${platformPackage}@${pkg.version}, but ${installed} is ` +
        `installed: \`npm install ${platformPackage}@${pkg.version}\` (or reinstall dependencies).`,
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(platformPackage);
}

export const native: typeof Native = load();
