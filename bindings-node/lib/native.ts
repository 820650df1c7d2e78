// Loads the addon built by `napi build --platform` (build/native.js picks the .node file of
// this platform). Everything else in the package goes through this module.
import type * as Native from '../native';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: typeof Native = require('../build/native.js');
