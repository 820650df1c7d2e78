// Hand-written companion of the generated bindings: the network methods of PayCoreClient with
// their documented names, and what task cancellation gives you.
//
// Why these wrappers exist: uniffi cannot carry a cancelled call's facts across the FFI, and its
// generated async code does not even see Swift task cancellation (cooperative: nothing checks
// it, so a cancelled task's call just ran on to its deadline). So Rust exports each network
// method as `raw<Name>(..., token:)` and these extensions, with the original names and
// parameters, run it on a fresh `CallToken` that `withTaskCancellationHandler` fires when the
// task is cancelled: the core ends the call promptly with `PolypayError.Cancelled`, which
// carries the facts (`details.referenceId`, generated when none was given, and
// `details.outcomeUnknown`, true when a create may have reached the gateway). A task cancelled
// before the call sends nothing (`outcomeUnknown` false). One helper, one line per method.
import Foundation

/// Runs `call` with a fresh token that fires when the current task is cancelled (at once if it
/// already is).
func withCallToken<T>(_ call: (CallToken) async throws -> T) async throws -> T {
    let token = CallToken()
    return try await withTaskCancellationHandler {
        try await call(token)
    } onCancel: {
        token.cancel()
    }
}

extension PayCoreClientProtocol {
    // ---- public (public key) ----

    public func paymentPrerequest(fieldsJson: String, timeout: Double? = nil) async throws -> Prerequest {
        try await withCallToken { try await rawPaymentPrerequest(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func payoutPrerequest(fieldsJson: String, timeout: Double? = nil) async throws -> Prerequest {
        try await withCallToken { try await rawPayoutPrerequest(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func createPaymentInvoicePublic(fieldsJson: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawCreatePaymentInvoicePublic(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func getPaymentInvoicePublic(id: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawGetPaymentInvoicePublic(id: id, timeout: timeout, token: $0) }
    }

    public func getPayoutInvoicePublic(id: String, timeout: Double? = nil) async throws -> PayoutInvoice {
        try await withCallToken { try await rawGetPayoutInvoicePublic(id: id, timeout: timeout, token: $0) }
    }

    // ---- private (account id + API key) ----

    public func createPaymentInvoice(fieldsJson: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawCreatePaymentInvoice(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func getPaymentInvoice(id: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawGetPaymentInvoice(id: id, timeout: timeout, token: $0) }
    }

    /// The invoice with this reference id, or nil.
    public func findPaymentInvoice(referenceId: String, timeout: Double? = nil) async throws -> PaymentInvoice? {
        try await withCallToken { try await rawFindPaymentInvoice(referenceId: referenceId, timeout: timeout, token: $0) }
    }

    /// Payment invoices, newest first, fetched page by page up to `limit` items (all if nil).
    public func listPaymentInvoices(referenceId: String? = nil, pageSize: UInt32? = nil, limit: UInt32? = nil) async throws -> [PaymentInvoice] {
        try await withCallToken { try await rawListPaymentInvoices(referenceId: referenceId, pageSize: pageSize, limit: limit, token: $0) }
    }

    /// Refunds a processed payment invoice; `fieldsJson` holds `amount` and optional fields.
    public func refundPaymentInvoice(id: String, fieldsJson: String, timeout: Double? = nil) async throws -> Refund {
        try await withCallToken { try await rawRefundPaymentInvoice(id: id, fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func createPayoutInvoice(fieldsJson: String, timeout: Double? = nil) async throws -> PayoutInvoice {
        try await withCallToken { try await rawCreatePayoutInvoice(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func getPayoutInvoice(id: String, timeout: Double? = nil) async throws -> PayoutInvoice {
        try await withCallToken { try await rawGetPayoutInvoice(id: id, timeout: timeout, token: $0) }
    }

    public func findPayoutInvoice(referenceId: String, timeout: Double? = nil) async throws -> PayoutInvoice? {
        try await withCallToken { try await rawFindPayoutInvoice(referenceId: referenceId, timeout: timeout, token: $0) }
    }

    public func listPayoutInvoices(referenceId: String? = nil, pageSize: UInt32? = nil, limit: UInt32? = nil) async throws -> [PayoutInvoice] {
        try await withCallToken { try await rawListPayoutInvoices(referenceId: referenceId, pageSize: pageSize, limit: limit, token: $0) }
    }

    public func getPaymentService(id: String, timeout: Double? = nil) async throws -> PaymentService {
        try await withCallToken { try await rawGetPaymentService(id: id, timeout: timeout, token: $0) }
    }

    public func listPaymentServices(pageSize: UInt32? = nil, limit: UInt32? = nil) async throws -> [PaymentService] {
        try await withCallToken { try await rawListPaymentServices(referenceId: nil, pageSize: pageSize, limit: limit, token: $0) }
    }

    public func balances(timeout: Double? = nil) async throws -> Balances {
        try await withCallToken { try await rawBalances(timeout: timeout, token: $0) }
    }
}

/// The Public API with the public key alone: what an app may hold (an API key or the callback
/// secret belongs on a server).
extension PublicPayCoreClientProtocol {
    public func paymentPrerequest(fieldsJson: String, timeout: Double? = nil) async throws -> Prerequest {
        try await withCallToken { try await rawPaymentPrerequest(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func payoutPrerequest(fieldsJson: String, timeout: Double? = nil) async throws -> Prerequest {
        try await withCallToken { try await rawPayoutPrerequest(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func createPaymentInvoicePublic(fieldsJson: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawCreatePaymentInvoicePublic(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    public func getPaymentInvoicePublic(id: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawGetPaymentInvoicePublic(id: id, timeout: timeout, token: $0) }
    }

    public func getPayoutInvoicePublic(id: String, timeout: Double? = nil) async throws -> PayoutInvoice {
        try await withCallToken { try await rawGetPayoutInvoicePublic(id: id, timeout: timeout, token: $0) }
    }
}
