import cjs from '../dist/testing.js';

export const { paycoreCallback, ecommpayCallback, signPaycoreBody } = cjs;
export default cjs;
