// Hand-written companion of the generated bindings (package polypay): every PolypayException
// variant carries the same fields; `e.details` reads them without a `when` on the kind.
package polypay

/** The fields every [PolypayException] carries, whatever its kind. */
data class ErrorDetails(
    /** `invalid_input`, `signature`, `authentication`, ... (the variant, as text). */
    val kind: String,
    /** Stable machine-readable code, e.g. `hex_signature`. */
    val code: String,
    val msg: String,
    val argument: String?,
    val httpStatus: Int?,
    val requestId: String?,
    val body: String?,
    val retryable: Boolean,
    /** A create may or may not have happened: look it up by its reference id. */
    val outcomeUnknown: Boolean,
    val retryAfterSeconds: Double?,
    val fields: List<FieldError>,
    val existingJson: String?,
    val referenceId: String?,
    /** The ecommpay `payment_id` of a Gate request: look it up by it. */
    val paymentId: String?,
)

val PolypayException.details: ErrorDetails
    get() = when (this) {
        is PolypayException.InvalidInput -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Signature -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Configuration -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Authentication -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Permission -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.NotFound -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.MethodNotAllowed -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Conflict -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Validation -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.RateLimited -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Server -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Timeout -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Connection -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Decode -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
        is PolypayException.Cancelled -> ErrorDetails(kind, code, msg, argument, httpStatus?.toInt(), requestId, body, retryable, outcomeUnknown, retryAfterSeconds, fields, existingJson, referenceId, paymentId)
    }
