import cjs from '../dist/web.js';

export const {
  paycoreRouteHandler, ecommpayRouteHandler, BODY_USED_MESSAGE, DEFAULT_BODY_LIMIT, DEFAULT_ASYNC_THRESHOLD, VERDICT_HEADER,
} = cjs;
export default cjs;
