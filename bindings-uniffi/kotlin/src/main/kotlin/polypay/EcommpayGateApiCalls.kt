// Hand-written companion of the generated bindings (package polypay): the ecommpay Gate methods
// with their documented names, each running its `raw<Name>` export under a CallToken that fires
// when the caller's coroutine is cancelled (see PayCoreClientCalls.kt): a cancelled write ends
// with PolypayException.Cancelled carrying `details.paymentId` and `details.outcomeUnknown`.
// A request is the documented body as JSON text, without general.project_id and
// general.signature (added by the client); amounts are integers in minor units.
package polypay

/**
 * The final status of an accepted request, asked of the status endpoint (first after the
 * status delay, then at that interval) until its operation is final. For when the callback is
 * late or lost; [PolypayException.Timeout] (`outcomeUnknown`) past the deadline.
 */
suspend fun EcommpayGateApiInterface.waitForResult(accepted: GateAccepted, timeout: Double? = null): GatePayment =
    withCallToken { rawWaitForResult(accepted, timeout, it) }

// ---- generated from the core's Gate table (src/wrappers.rs) ----

/**
 * The payment's current state and its operations, by `general.payment_id`.
 *
 * `POST /v2/payment/status`; `method` is the endpoint's payment method (`card` when null).
 */
suspend fun EcommpayGateApiInterface.paymentStatus(requestJson: String, method: String? = null, timeout: Double? = null): GatePayment =
    withCallToken { rawPaymentStatus(requestJson, method, timeout, it) }

/**
 * What became of one request, by its `request_id` (for requests the gateway refused).
 *
 * `POST /v2/payment/status/request`; `method` is the endpoint's payment method (`card` when null).
 */
suspend fun EcommpayGateApiInterface.requestStatus(requestJson: String, method: String? = null, timeout: Double? = null): GatePayment =
    withCallToken { rawRequestStatus(requestJson, method, timeout, it) }

/**
 * Refunds all of a payment, or `payment.amount` of it; never doubled (`merchant_refund_id`).
 *
 * `POST /v2/payment/{method}/refund`; `method` is the endpoint's payment method (`card` when null).
 */
suspend fun EcommpayGateApiInterface.refund(requestJson: String, method: String? = null, timeout: Double? = null): GateAccepted =
    withCallToken { rawRefund(requestJson, method, timeout, it) }

/**
 * Debits an authorised (two-step) payment: all of it, or `payment.amount`.
 *
 * `POST /v2/payment/{method}/capture`; `method` is the endpoint's payment method (`card` when null).
 */
suspend fun EcommpayGateApiInterface.capture(requestJson: String, method: String? = null, timeout: Double? = null): GateAccepted =
    withCallToken { rawCapture(requestJson, method, timeout, it) }

/**
 * Releases an authorised (two-step) payment's hold.
 *
 * `POST /v2/payment/{method}/cancel`; `method` is the endpoint's payment method (`card` when null).
 */
suspend fun EcommpayGateApiInterface.cancel(requestJson: String, method: String? = null, timeout: Double? = null): GateAccepted =
    withCallToken { rawCancel(requestJson, method, timeout, it) }

/**
 * Pays out to a card (`card`) under a new `general.payment_id`; never doubled.
 *
 * `POST /v2/payment/{method}/payout`; `method` is the endpoint's payment method (`card` when null).
 */
suspend fun EcommpayGateApiInterface.payout(requestJson: String, method: String? = null, timeout: Double? = null): GateAccepted =
    withCallToken { rawPayout(requestJson, method, timeout, it) }

/**
 * Pays out to a card saved earlier (`token`) under a new `general.payment_id`.
 *
 * `POST /v2/payment/{method}/payout/token`; `method` is the endpoint's payment method (`card` when null).
 */
suspend fun EcommpayGateApiInterface.payoutByToken(requestJson: String, method: String? = null, timeout: Double? = null): GateAccepted =
    withCallToken { rawPayoutByToken(requestJson, method, timeout, it) }

/**
 * Charges a stored credential (`recurring.id`) under a new `general.payment_id` (COF).
 *
 * `POST /v2/payment/{method}/recurring`; `method` is the endpoint's payment method (`card` when null).
 */
suspend fun EcommpayGateApiInterface.recurringCharge(requestJson: String, method: String? = null, timeout: Double? = null): GateAccepted =
    withCallToken { rawRecurringCharge(requestJson, method, timeout, it) }

// ---- end of generated ----
