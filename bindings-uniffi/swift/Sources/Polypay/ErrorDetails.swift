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
}

extension PolypayError {
    public var details: PolypayErrorDetails {
        switch self {
        case let .InvalidInput(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Signature(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Configuration(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Authentication(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Permission(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .NotFound(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .MethodNotAllowed(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Conflict(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Validation(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .RateLimited(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Server(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Timeout(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Connection(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Decode(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId),
             let .Cancelled(kind, code, msg, argument, httpStatus, requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId):
            return PolypayErrorDetails(
                kind: kind, code: code, msg: msg, argument: argument, httpStatus: httpStatus,
                requestId: requestId, body: body, retryable: retryable,
                outcomeUnknown: outcomeUnknown, retryAfterSeconds: retryAfterSeconds,
                fields: fields, existingJson: existingJson, referenceId: referenceId)
        }
    }
}
