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
// before the call sends nothing (`outcomeUnknown` false). One helper, one line per method, generated
// from the core's operation table (src/wrappers.rs).
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

/// A list as an async sequence, pulled item by item: the pager opens at the first `next()`, a page
/// is fetched only when the items already read are used up, each fetch under a token that
/// cancelling the consuming task fires. Each iteration reads the list afresh.
public struct LazyList<Element>: AsyncSequence {
    let open: () throws -> (CallToken) async throws -> Element?

    public func makeAsyncIterator() -> Iterator { Iterator(open: open) }

    public struct Iterator: AsyncIteratorProtocol {
        let open: () throws -> (CallToken) async throws -> Element?
        var read: ((CallToken) async throws -> Element?)?
        var done = false

        public mutating func next() async throws -> Element? {
            if done { return nil }
            if read == nil { read = try open() }
            let read = self.read!
            let item = try await withCallToken { try await read($0) }
            done = item == nil
            return item
        }
    }
}

// ---- generated from the core's operation table (src/wrappers.rs) ----

extension PayCoreClientProtocol {
    /** Creates a payment invoice; never doubled (reconciled by `reference_id`). */
    public func createPaymentInvoice(fieldsJson: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawCreatePaymentInvoice(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    /** A payment invoice by id. */
    public func getPaymentInvoice(id: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawGetPaymentInvoice(id: id, timeout: timeout, token: $0) }
    }

    /** The payment invoice with this `reference_id`, if any. */
    public func findPaymentInvoice(referenceId: String, timeout: Double? = nil) async throws -> PaymentInvoice? {
        try await withCallToken { try await rawFindPaymentInvoice(referenceId: referenceId, timeout: timeout, token: $0) }
    }

    /**
     * Every payment invoice, newest first, page by page.
     * An async sequence: the next page is fetched only when the items already read are used up (`break` and task cancellation stop it).
     */
    public func listPaymentInvoices(referenceId: String? = nil, pageSize: UInt32? = nil) -> LazyList<PaymentInvoice> {
        LazyList { let pager = try self.rawListPaymentInvoicesPager(referenceId: referenceId, pageSize: pageSize); return { try await pager.next(token: $0) } }
    }

    /**
     * Refunds all or part of a payment invoice (`amount` required); never re-sent once it may
     * have arrived: an unknown outcome is an error saying `outcome_unknown`.
     */
    public func refundPaymentInvoice(id: String, fieldsJson: String, timeout: Double? = nil) async throws -> Refund {
        try await withCallToken { try await rawRefundPaymentInvoice(id: id, fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    /** A refund by id (`ref_…`). */
    public func getRefund(id: String, timeout: Double? = nil) async throws -> Refund {
        try await withCallToken { try await rawGetRefund(id: id, timeout: timeout, token: $0) }
    }

    /**
     * Every refund, newest first, page by page (`reference_id` finds the one made with it).
     * An async sequence: the next page is fetched only when the items already read are used up (`break` and task cancellation stop it).
     */
    public func listRefunds(referenceId: String? = nil, pageSize: UInt32? = nil) -> LazyList<Refund> {
        LazyList { let pager = try self.rawListRefundsPager(referenceId: referenceId, pageSize: pageSize); return { try await pager.next(token: $0) } }
    }

    /** Creates a payout invoice; never doubled (reconciled by `reference_id`). */
    public func createPayoutInvoice(fieldsJson: String, timeout: Double? = nil) async throws -> PayoutInvoice {
        try await withCallToken { try await rawCreatePayoutInvoice(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    /** A payout invoice by id. */
    public func getPayoutInvoice(id: String, timeout: Double? = nil) async throws -> PayoutInvoice {
        try await withCallToken { try await rawGetPayoutInvoice(id: id, timeout: timeout, token: $0) }
    }

    /** The payout invoice with this `reference_id`, if any. */
    public func findPayoutInvoice(referenceId: String, timeout: Double? = nil) async throws -> PayoutInvoice? {
        try await withCallToken { try await rawFindPayoutInvoice(referenceId: referenceId, timeout: timeout, token: $0) }
    }

    /**
     * Every payout invoice, newest first, page by page.
     * An async sequence: the next page is fetched only when the items already read are used up (`break` and task cancellation stop it).
     */
    public func listPayoutInvoices(referenceId: String? = nil, pageSize: UInt32? = nil) -> LazyList<PayoutInvoice> {
        LazyList { let pager = try self.rawListPayoutInvoicesPager(referenceId: referenceId, pageSize: pageSize); return { try await pager.next(token: $0) } }
    }

    /**
     * The payment services configured on the account, page by page.
     * An async sequence: the next page is fetched only when the items already read are used up (`break` and task cancellation stop it).
     */
    public func listPaymentServices(referenceId: String? = nil, pageSize: UInt32? = nil) -> LazyList<PaymentService> {
        LazyList { let pager = try self.rawListPaymentServicesPager(referenceId: referenceId, pageSize: pageSize); return { try await pager.next(token: $0) } }
    }

    /** A payment service by id. */
    public func getPaymentService(id: String, timeout: Double? = nil) async throws -> PaymentService {
        try await withCallToken { try await rawGetPaymentService(id: id, timeout: timeout, token: $0) }
    }

    /**
     * The payout services configured on the account, page by page.
     * An async sequence: the next page is fetched only when the items already read are used up (`break` and task cancellation stop it).
     */
    public func listPayoutServices(referenceId: String? = nil, pageSize: UInt32? = nil) -> LazyList<PayoutService> {
        LazyList { let pager = try self.rawListPayoutServicesPager(referenceId: referenceId, pageSize: pageSize); return { try await pager.next(token: $0) } }
    }

    /** A payout service by id. */
    public func getPayoutService(id: String, timeout: Double? = nil) async throws -> PayoutService {
        try await withCallToken { try await rawGetPayoutService(id: id, timeout: timeout, token: $0) }
    }

    /** Balances per currency account. */
    public func balances(timeout: Double? = nil) async throws -> Balances {
        try await withCallToken { try await rawBalances(timeout: timeout, token: $0) }
    }
}

/// The raw Public API calls, which `PayCoreClient` and `PublicPayCoreClient` both export.
public protocol PublicApiCalls {
    func rawPaymentPrerequest(fieldsJson: String, timeout: Double?, token: CallToken?) async throws -> Prerequest
    func rawPayoutPrerequest(fieldsJson: String, timeout: Double?, token: CallToken?) async throws -> Prerequest
    func rawCreatePaymentInvoicePublic(fieldsJson: String, timeout: Double?, token: CallToken?) async throws -> PaymentInvoice
    func rawGetPaymentInvoicePublic(id: String, timeout: Double?, token: CallToken?) async throws -> PaymentInvoice
    func rawGetPayoutInvoicePublic(id: String, timeout: Double?, token: CallToken?) async throws -> PayoutInvoice
}

extension PayCoreClient: PublicApiCalls {}

/// `PublicPayCoreClient` holds the public key alone: what an app may hold (an API key or the
/// callback secret belongs on a server).
extension PublicPayCoreClient: PublicApiCalls {}

extension PublicApiCalls {
    /** Payment services and methods available for a currency and amount. */
    public func paymentPrerequest(fieldsJson: String, timeout: Double? = nil) async throws -> Prerequest {
        try await withCallToken { try await rawPaymentPrerequest(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    /** Payout services available for a currency and amount. */
    public func payoutPrerequest(fieldsJson: String, timeout: Double? = nil) async throws -> Prerequest {
        try await withCallToken { try await rawPayoutPrerequest(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    /** Creates a payment invoice with the public key (the account must allow it). */
    public func createPaymentInvoicePublic(fieldsJson: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawCreatePaymentInvoicePublic(fieldsJson: fieldsJson, timeout: timeout, token: $0) }
    }

    /** A payment invoice by id, through the Public API. */
    public func getPaymentInvoicePublic(id: String, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await withCallToken { try await rawGetPaymentInvoicePublic(id: id, timeout: timeout, token: $0) }
    }

    /** A payout invoice by id, through the Public API. */
    public func getPayoutInvoicePublic(id: String, timeout: Double? = nil) async throws -> PayoutInvoice {
        try await withCallToken { try await rawGetPayoutInvoicePublic(id: id, timeout: timeout, token: $0) }
    }
}

// ---- end of generated ----

// ---- typed requests (the common path; the `fieldsJson` forms take any field as JSON) ----

extension PublicApiCalls {
    public func createPaymentInvoicePublic(_ request: PaymentInvoiceRequest, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await createPaymentInvoicePublic(fieldsJson: try paymentInvoiceRequestJson(request: request), timeout: timeout)
    }

    public func paymentPrerequest(_ request: PrerequestRequest, timeout: Double? = nil) async throws -> Prerequest {
        try await paymentPrerequest(fieldsJson: try prerequestJson(request: request), timeout: timeout)
    }

    public func payoutPrerequest(_ request: PrerequestRequest, timeout: Double? = nil) async throws -> Prerequest {
        try await payoutPrerequest(fieldsJson: try prerequestJson(request: request), timeout: timeout)
    }
}

extension PayCoreClientProtocol {
    public func createPaymentInvoice(_ request: PaymentInvoiceRequest, timeout: Double? = nil) async throws -> PaymentInvoice {
        try await createPaymentInvoice(fieldsJson: try paymentInvoiceRequestJson(request: request), timeout: timeout)
    }

    public func createPayoutInvoice(_ request: PayoutInvoiceRequest, timeout: Double? = nil) async throws -> PayoutInvoice {
        try await createPayoutInvoice(fieldsJson: try payoutInvoiceRequestJson(request: request), timeout: timeout)
    }

    public func refundPaymentInvoice(id: String, _ request: RefundRequest, timeout: Double? = nil) async throws -> Refund {
        try await refundPaymentInvoice(id: id, fieldsJson: try refundRequestJson(request: request), timeout: timeout)
    }
}
