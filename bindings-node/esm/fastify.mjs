import cjs from '../dist/fastify.js';

export const {
  paycoreCallback, ecommpayCallback, callbackRoutes, rawBodyParser, PARSED_BODY_MESSAGE, DEFAULT_BODY_LIMIT,
  DEFAULT_ASYNC_THRESHOLD, VERDICT_HEADER,
} = cjs;
export default cjs;
