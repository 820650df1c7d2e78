// ESM entry point: the CommonJS build re-exported (one copy of the addon and the classes).
import cjs from '../dist/index.js';

export const {
  ecommpay, EcommpayGate, EcommpayGateApi, paycore, PayCoreClient, PublicPayCoreClient,
  PolypayError, AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
  ValidationError, RateLimitError, APIError, APIConnectionError, APITimeoutError,
  SignatureVerificationError, ConfigurationError, InvalidInputError, CancelledError, _internals,
  PaymentInvoiceStatus, PayoutInvoiceStatus, Resolution,
} = cjs;
export default cjs;
