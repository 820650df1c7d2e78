import cjs from '../dist/express.js';

export const { paycoreCallback, ecommpayCallback, PARSED_BODY_MESSAGE } = cjs;
export default cjs;
