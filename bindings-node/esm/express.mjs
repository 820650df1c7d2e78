import cjs from '../dist/express.js';

export const {
  paycoreCallback, ecommpayCallback, PARSED_BODY_MESSAGE, DEFAULT_BODY_LIMIT, DEFAULT_ASYNC_THRESHOLD, VERDICT_HEADER,
} = cjs;
export default cjs;
