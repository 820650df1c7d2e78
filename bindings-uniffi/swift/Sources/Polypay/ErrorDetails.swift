// Hand-written companion of the generated bindings: every PolypayError case carries the same
// fields; `error.details` reads them without a `switch` on the kind.
import Foundation

/// The fields every ``PolypayError`` carries, whatever its kind.
public struct PolypayErrorDetails: Equatable, Hashable {
    /// `invalid_input`, `signature`, `authentication`, ... (the case, as text).
    public let kind: String
    /// Stable machine-readable code, e.g. `hex_signature`.
    public let code: String
    public let msg: String
    public let argument: String?
    public let httpStatus: UInt16?
    public let requestId: String?
    public let body: String?
    public let retryable: Bool
    /// A create may or may not have happened: look it up by its reference id.
    public let outcomeUnknown: Bool
    public let retryAfterSeconds: Double?
    public let fields: [FieldError]
    public let existingJson: String?
    public let referenceId: String?
    /// The ecommpay `payment_id` of a Gate request: look it up by it.
    public let paymentId: String?
}

extension PolypayError {
    public var details: PolypayErrorDetails {
        switch self {
        case let .InvalidInput(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Signature(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Configuration(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Authentication(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Permission(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .NotFound(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .MethodNotAllowed(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Conflict(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Validation(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .RateLimited(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Server(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Timeout(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Connection(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Decode(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId),
             let .Cancelled(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId):
            return PolypayErrorDetails(
                kind: kind, code: code, msg: msg, argument: argument, httpStatus: httpStatus,
                requestId: requestId, body: body, retryable: retryable,
                outcomeUnknown: outcomeUnknown, retryAfterSeconds: retryAfterSeconds,
                fields: fields, existingJson: existingJson, referenceId: referenceId, paymentId: paymentId)
        }
    }
}
