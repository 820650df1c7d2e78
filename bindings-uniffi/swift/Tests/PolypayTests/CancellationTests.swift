import Foundation
import XCTest
@testable import Polypay

/// Task cancellation of calls against a real `polypay sandbox` whose create answers 1.5 s late:
/// the call ends at once with `PolypayError.Cancelled` carrying the (generated) reference id and
/// `outcomeUnknown`, and the create the sandbox committed after the client gave up is then found.
final class CancellationTests: XCTestCase {
    var sandbox: Sandbox!
    var client: PayCoreClient!

    override func setUpWithError() throws {
        sandbox = try Sandbox()
        client = try PayCoreClient(options: ClientOptions(
            accountId: sandbox.key("account_id"), apiKey: sandbox.key("api_key"), baseUrl: sandbox.baseUrl))
    }

    override func tearDown() {
        sandbox?.stop()
    }

    /// The next create is held 1.5 s by the sandbox, then committed (even if the client left).
    func slowCreate() throws {
        try sandbox.admin("POST", "/faults", #"{"route":"POST /api/payment-invoices","nth":1,"effect":{"delay_ms":1500}}"#)
    }

    func fields(reference: String? = nil) -> String {
        let ref = reference.map { #","reference_id":"\#($0)""# } ?? ""
        return #"{"service":"test_usd_test","amount":"100.55","currency":"USD","service_fields":{"status":"success"}\#(ref)}"#
    }

    /// The polypay error a task ended with (a failure if it returned or threw something else).
    func polypayError<T: Sendable>(_ task: Task<T, Error>, file: StaticString = #filePath, line: UInt = #line) async -> PolypayError? {
        switch await task.result {
        case .success(let value):
            XCTFail("expected PolypayError.Cancelled, the call returned \(value)", file: file, line: line)
        case .failure(let error as PolypayError):
            return error
        case .failure(let error):
            XCTFail("expected PolypayError.Cancelled, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// The facts of a create cancelled while its request was at the gateway: its reference id.
    func assertSentAndCancelled(_ error: PolypayError?, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard let error = error, case .Cancelled = error else {
            XCTFail("expected PolypayError.Cancelled, got \(String(describing: error))", file: file, line: line)
            return nil
        }
        XCTAssertEqual(error.details.kind, "cancelled", file: file, line: line)
        XCTAssertTrue(error.details.outcomeUnknown, "the request was sent: \(error.details)", file: file, line: line)
        XCTAssertEqual(error.details.referenceId?.count, 36, "a generated UUID: \(error.details)", file: file, line: line)
        return error.details.referenceId
    }

    /// The invoice the sandbox committed after the delay: found by reference, exactly once.
    func assertCommittedOnce(_ reference: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = Date().addingTimeInterval(5)
        while try await client.findPaymentInvoice(referenceId: reference) == nil {
            guard Date() < deadline else { return XCTFail("the cancelled create \(reference) never appeared", file: file, line: line) }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        var listed = 0
        for try await _ in client.listPaymentInvoices(referenceId: reference) { listed += 1 }
        XCTAssertEqual(listed, 1, file: file, line: line)
    }

    func testACancelledTaskGetsTheFactsAndTheCreateIsFoundLater() async throws {
        try slowCreate()
        let client = self.client!
        let fields = self.fields()
        let task = Task { try await client.createPaymentInvoice(fieldsJson: fields) }
        try await Task.sleep(nanoseconds: 200_000_000)
        let cancelledAt = Date()
        task.cancel()
        let error = await polypayError(task)
        // Promptly: the Rust call saw the cancellation (the gateway answers only after 1.5 s).
        XCTAssertLessThan(Date().timeIntervalSince(cancelledAt), 1.0)
        guard let reference = assertSentAndCancelled(error) else { return }
        try await assertCommittedOnce(reference)
    }

    func testAGivenReferenceIdComesBackToo() async throws {
        try slowCreate()
        let client = self.client!
        let reference = "sw-cancel-" + UUID().uuidString.prefix(8)
        let fields = self.fields(reference: reference)
        let task = Task { try await client.createPaymentInvoice(fieldsJson: fields, timeout: 30) }
        try await Task.sleep(nanoseconds: 200_000_000)
        task.cancel()
        let error = await polypayError(task)
        XCTAssertEqual(error?.details.referenceId, reference)
        XCTAssertEqual(error?.details.outcomeUnknown, true)
        try await assertCommittedOnce(reference)
    }

    func testATaskCancelledBeforeTheCallSendsNothing() async throws {
        let client = self.client!
        let fields = self.fields()
        let task = Task { () async throws -> PaymentInvoice in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.createPaymentInvoice(fieldsJson: fields)
        }
        let error = await polypayError(task)
        guard let error = error, case .Cancelled = error else {
            return XCTFail("expected PolypayError.Cancelled, got \(String(describing: error))")
        }
        XCTAssertFalse(error.details.outcomeUnknown, "nothing was sent: \(error.details)")
        XCTAssertEqual(error.details.referenceId?.count, 36, "\(error.details)")
        try await Task.sleep(nanoseconds: 300_000_000)
        let found = try await client.findPaymentInvoice(referenceId: error.details.referenceId!)
        XCTAssertNil(found)
    }

    func testReadsEndPromptlyToo() async throws {
        try sandbox.admin("POST", "/faults", #"{"route":"GET /api/account/balances","effect":{"delay_ms":3000}}"#)
        let client = self.client!
        let task = Task { try await client.balances() }
        try await Task.sleep(nanoseconds: 200_000_000)
        let cancelledAt = Date()
        task.cancel()
        let error = await polypayError(task)
        XCTAssertLessThan(Date().timeIntervalSince(cancelledAt), 1.0)
        guard let error = error, case .Cancelled = error else {
            return XCTFail("expected PolypayError.Cancelled, got \(String(describing: error))")
        }
        XCTAssertFalse(error.details.outcomeUnknown)
    }

    func testAnOwnTokenCancelsARawCall() async throws {
        try slowCreate()
        let token = CallToken()
        Task {
            try await Task.sleep(nanoseconds: 200_000_000)
            token.cancel()
        }
        var error: PolypayError?
        do {
            _ = try await client.rawCreatePaymentInvoice(fieldsJson: fields(), timeout: nil, token: token)
        } catch let e as PolypayError {
            error = e
        }
        XCTAssertTrue(token.isCancelled())
        guard let reference = assertSentAndCancelled(error) else { return }
        try await assertCommittedOnce(reference)
    }
}
