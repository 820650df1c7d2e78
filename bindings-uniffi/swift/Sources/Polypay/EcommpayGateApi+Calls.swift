// Hand-written companion of the generated bindings: the ecommpay Gate methods with their
// documented names, each running its `raw<Name>` export under a `CallToken` that task
// cancellation fires (see PayCoreClient+Calls.swift): a cancelled write ends with
// `PolypayError.Cancelled` carrying `details.paymentId` and `details.outcomeUnknown`. A request is
// the documented body as JSON text, without general.project_id and general.signature (added by
// the client); amounts are integers in minor units.
import Foundation

extension EcommpayGateApiProtocol {
    /// The final status of an accepted request, asked of the status endpoint (first after the
    /// status delay, then at that interval) until its operation is final. For when the callback
    /// is late or lost; `PolypayError.Timeout` (`outcomeUnknown`) past the deadline.
    public func waitForResult(accepted: GateAccepted, timeout: Double? = nil) async throws -> GatePayment {
        try await withCallToken { try await rawWaitForResult(accepted: accepted, timeout: timeout, token: $0) }
    }
}

// ---- generated from the core's Gate table (src/wrappers.rs) ----

extension EcommpayGateApiProtocol {
    /**
     * The payment's current state and its operations, by `general.payment_id`.
     *
     * `POST /v2/payment/status`; `method` is the endpoint's payment method (`card` when null).
     */
    public func paymentStatus(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> GatePayment {
        try await withCallToken { try await rawPaymentStatus(requestJson: requestJson, method: method, timeout: timeout, token: $0) }
    }

    /**
     * What became of one request, by its `request_id` (for requests the gateway refused).
     *
     * `POST /v2/payment/status/request`; `method` is the endpoint's payment method (`card` when null).
     */
    public func requestStatus(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> GatePayment {
        try await withCallToken { try await rawRequestStatus(requestJson: requestJson, method: method, timeout: timeout, token: $0) }
    }

    /**
     * Refunds all of a payment, or `payment.amount` of it; never doubled (`merchant_refund_id`).
     *
     * `POST /v2/payment/{method}/refund`; `method` is the endpoint's payment method (`card` when null).
     */
    public func refund(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> GateAccepted {
        try await withCallToken { try await rawRefund(requestJson: requestJson, method: method, timeout: timeout, token: $0) }
    }

    /**
     * Debits an authorised (two-step) payment: all of it, or `payment.amount`.
     *
     * `POST /v2/payment/{method}/capture`; `method` is the endpoint's payment method (`card` when null).
     */
    public func capture(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> GateAccepted {
        try await withCallToken { try await rawCapture(requestJson: requestJson, method: method, timeout: timeout, token: $0) }
    }

    /**
     * Releases an authorised (two-step) payment's hold.
     *
     * `POST /v2/payment/{method}/cancel`; `method` is the endpoint's payment method (`card` when null).
     */
    public func cancel(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> GateAccepted {
        try await withCallToken { try await rawCancel(requestJson: requestJson, method: method, timeout: timeout, token: $0) }
    }

    /**
     * Pays out to a card (`card`) under a new `general.payment_id`; never doubled.
     *
     * `POST /v2/payment/{method}/payout`; `method` is the endpoint's payment method (`card` when null).
     */
    public func payout(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> GateAccepted {
        try await withCallToken { try await rawPayout(requestJson: requestJson, method: method, timeout: timeout, token: $0) }
    }

    /**
     * Pays out to a card saved earlier (`token`) under a new `general.payment_id`.
     *
     * `POST /v2/payment/{method}/payout/token`; `method` is the endpoint's payment method (`card` when null).
     */
    public func payoutByToken(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> GateAccepted {
        try await withCallToken { try await rawPayoutByToken(requestJson: requestJson, method: method, timeout: timeout, token: $0) }
    }

    /**
     * Charges a stored credential (`recurring.id`) under a new `general.payment_id` (COF).
     *
     * `POST /v2/payment/{method}/recurring`; `method` is the endpoint's payment method (`card` when null).
     */
    public func recurringCharge(requestJson: String, method: String? = nil, timeout: Double? = nil) async throws -> GateAccepted {
        try await withCallToken { try await rawRecurringCharge(requestJson: requestJson, method: method, timeout: timeout, token: $0) }
    }
}

// ---- end of generated ----
