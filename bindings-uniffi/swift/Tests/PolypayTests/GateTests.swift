import Foundation
import XCTest
@testable import Polypay

/// The ecommpay Gate client against `polypay sandbox` over real HTTP.
final class GateTests: XCTestCase {
    var sandbox: Sandbox!

    override func setUpWithError() throws { sandbox = try Sandbox() }

    override func tearDown() { sandbox?.stop() }

    var ecommpay: [String: Any] { sandbox.config["ecommpay"] as! [String: Any] }

    func gate(secret: String? = nil) throws -> EcommpayGateApi {
        try EcommpayGateApi(options: GateApiOptions(
            projectId: (ecommpay["project_id"] as! NSNumber).int64Value,
            secretKey: secret ?? ecommpay["secret_key"] as! String,
            baseUrl: ecommpay["gate_base_url"] as? String, timeout: 10, statusDelay: 0.1))
    }

    func pid() -> String { "sw-gate-" + UUID().uuidString.prefix(12) }

    /// A payment made as on the Payment Page (the sandbox's shortcut); its callback document.
    @discardableResult
    func paid(_ paymentId: String, _ extra: String = "") throws -> [String: Any] {
        let body = try sandbox.admin("POST", "/ecommpay/payments",
            "{\"payment_id\": \"\(paymentId)\", \"payment_amount\": 1000, \"payment_currency\": \"USD\"\(extra)}")
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
    }

    func testRefundIsAcceptedThenSettled() async throws {
        let gate = try gate()
        let paymentId = pid()
        try paid(paymentId)
        let accepted = try await gate.refund(
            requestJson: "{\"general\": {\"payment_id\": \"\(paymentId)\"}, \"payment\": {\"amount\": 250, \"currency\": \"USD\"}}")
        XCTAssertEqual(accepted.operation, "refund")
        XCTAssertEqual(accepted.paymentId, paymentId)
        XCTAssertFalse(accepted.reconciled)
        XCTAssertNotNil(accepted.merchantRefundId)
        let payment = try await gate.waitForResult(accepted: accepted)
        XCTAssertEqual(payment.status, "partially refunded")
        XCTAssertTrue(payment.isFinal)
        let op = payment.operations.first { $0.requestId == accepted.requestId }
        XCTAssertEqual(op?.operationType, "refund")
        XCTAssertEqual(op?.sumInitial, EcommpaySum(amount: 250, currency: "USD"))
        let rest = try await gate.refund(requestJson: "{\"general\": {\"payment_id\": \"\(paymentId)\"}}")
        let settled = try await gate.waitForResult(accepted: rest)
        XCTAssertEqual(settled.status, "refunded")
    }

    func testCaptureAndRecurringCharge() async throws {
        let gate = try gate()
        let held = pid()
        try paid(held, ", \"card_operation_type\": \"auth\"")
        let status = try await gate.paymentStatus(requestJson: "{\"general\": {\"payment_id\": \"\(held)\"}}")
        XCTAssertEqual(status.status, "awaiting capture")
        let captured = try await gate.capture(requestJson: "{\"general\": {\"payment_id\": \"\(held)\"}}")
        let done = try await gate.waitForResult(accepted: captured)
        XCTAssertEqual(done.status, "success")
        let first = try paid(pid(), ", \"recurring_register\": 1")
        let recurringId = ((first["recurring"] as! [String: Any])["id"] as! NSNumber).int64Value
        let charge = try await gate.recurringCharge(
            requestJson: "{\"general\": {\"payment_id\": \"\(pid())\"}, \"recurring\": {\"id\": \(recurringId)}, \"payment\": {\"amount\": 1000, \"currency\": \"USD\"}}")
        let charged = try await gate.waitForResult(accepted: charge)
        XCTAssertEqual(charged.paymentType, "recurring")
        XCTAssertEqual(charged.status, "success")
    }

    func testPayoutCommittedBeforeA5xxIsReconciled() async throws {
        let gate = try gate()
        try sandbox.admin("POST", "/faults",
            "{\"route\": \"POST /v2/payment/card/payout\", \"nth\": 1, \"effect\": {\"status\": 502, \"commit\": true}}")
        let accepted = try await gate.payout(
            requestJson: "{\"general\": {\"payment_id\": \"\(pid())\"}, \"payment\": {\"amount\": 700, \"currency\": \"USD\"}, \"card\": {\"pan\": \"5519283812030000\", \"year\": 2040, \"month\": 1}}")
        XCTAssertTrue(accepted.reconciled)
        let payment = try await gate.waitForResult(accepted: accepted)
        XCTAssertEqual(payment.operations.map { $0.operationType }, ["payout"])
    }

    func testErrorsCarryThePaymentIdAndBadInputNeverLeaves() async throws {
        let gate = try gate()
        let paymentId = pid()
        try paid(paymentId)
        let refused = await expectErrorAsync("too much") {
            _ = try await gate.refund(
                requestJson: "{\"general\": {\"payment_id\": \"\(paymentId)\"}, \"payment\": {\"amount\": 5000, \"currency\": \"USD\"}}")
        }
        XCTAssertEqual(refused?.details.kind, "validation")
        XCTAssertEqual(refused?.details.paymentId, paymentId)
        XCTAssertEqual(refused?.details.outcomeUnknown, false)
        let semicolon = await expectErrorAsync("semicolon") {
            _ = try await gate.refund(requestJson: "{\"general\": {\"payment_id\": \"p\"}, \"payment\": {\"description\": \"a;b\"}}")
        }
        XCTAssertEqual(semicolon?.details.argument, "payment.description")
        XCTAssertEqual(semicolon?.details.code, "semicolon")
        let forged = try self.gate(secret: "a-very-secret-key")
        let denied = await expectErrorAsync("forged") {
            _ = try await forged.paymentStatus(requestJson: "{\"general\": {\"payment_id\": \"x\"}}")
        }
        XCTAssertEqual(denied?.details.kind, "authentication")
        XCTAssertFalse("\(String(describing: denied))".contains("a-very-secret-key"))
    }

    func testEveryOperationOnceEachSettled() async throws {
        let gate = try gate()
        let (held, released, paidId) = (pid(), pid(), pid())
        try paid(held, ", \"card_operation_type\": \"auth\"")
        try paid(released, ", \"card_operation_type\": \"auth\"")
        let first = try paid(paidId, ", \"recurring_register\": 1, \"customer_id\": \"c-9\"")
        let token = (first["account"] as! [String: Any])["token"] as! String
        let recurringId = ((first["recurring"] as! [String: Any])["id"] as! NSNumber).int64Value
        let usd = "\"payment\": {\"amount\": 100, \"currency\": \"USD\"}"
        var writes: [(String, GateAccepted)] = []
        writes.append(("capture", try await gate.capture(requestJson: "{\"general\": {\"payment_id\": \"\(held)\"}}")))
        writes.append(("cancel", try await gate.cancel(requestJson: "{\"general\": {\"payment_id\": \"\(released)\"}}")))
        writes.append(("refund", try await gate.refund(requestJson: "{\"general\": {\"payment_id\": \"\(paidId)\"}, \(usd)}")))
        writes.append(("payout", try await gate.payout(
            requestJson: "{\"general\": {\"payment_id\": \"\(pid())\"}, \(usd), \"card\": {\"pan\": \"5519283812030000\", \"year\": 2040, \"month\": 1}}")))
        writes.append(("payout_by_token", try await gate.payoutByToken(
            requestJson: "{\"general\": {\"payment_id\": \"\(pid())\"}, \(usd), \"token\": \"\(token)\"}")))
        writes.append(("recurring_charge", try await gate.recurringCharge(
            requestJson: "{\"general\": {\"payment_id\": \"\(pid())\"}, \(usd), \"recurring\": {\"id\": \(recurringId)}}")))
        var final: [String: String] = [:]
        for (name, accepted) in writes {
            XCTAssertEqual(accepted.operation, name)
            let payment = try await gate.waitForResult(accepted: accepted)
            final[name] = payment.status
        }
        XCTAssertEqual(final, [
            "capture": "success", "cancel": "canceled", "refund": "partially refunded",
            "payout": "success", "payout_by_token": "success", "recurring_charge": "success",
        ])
        let refundRequest = writes[2].1.requestId!
        let byRequest = try await gate.requestStatus(requestJson: "{\"request_id\": \"\(refundRequest)\"}")
        XCTAssertEqual(byRequest.paymentId, paidId)
        let status = try await gate.paymentStatus(requestJson: "{\"general\": {\"payment_id\": \"\(paidId)\"}}")
        XCTAssertEqual(status.operations.map { $0.operationType }, ["sale", "refund"])
    }
}
