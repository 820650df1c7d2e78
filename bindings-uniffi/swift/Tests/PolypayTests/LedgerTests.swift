import Foundation
import XCTest
@testable import Polypay

/// Exactly-once callbacks: a verified callback's `ledgerEvent` and the core's rule through
/// `ledgerDecide`. (No database ledger in Swift: apps do not receive callbacks; a Swift server
/// keeps the row and locks it as the Kotlin `JdbcCallbackLedger` does.)
final class LedgerTests: XCTestCase {
    func testAVerifiedPayCoreCallbackCarriesItsLedgerEvent() throws {
        let body = Data(#"{"data":{"type":"payment-invoices","id":"cpi_L1","attributes":{"status":"SUCCESSFUL","amount":1,"currency":"USD","updated":1717243207}}}"#.utf8)
        let event = try paycoreVerifyCallback(body: body, signature: try paycoreSignCallback(body: body, secret: "sk_test_1"), secret: "sk_test_1")
        let ledger = try XCTUnwrap(event.ledgerEvent)
        XCTAssertEqual(ledger.kind, "paycore.payment")
        XCTAssertEqual(ledger.entityId, "cpi_L1")
        XCTAssertEqual(ledger.status, "processed") // canonical
        XCTAssertEqual(ledger.time, 1_717_243_207)

        XCTAssertEqual(try ledgerDecide(event: ledger, lastStatus: nil, lastTime: nil), .apply)
        XCTAssertEqual(try ledgerDecide(event: ledger, lastStatus: "processed", lastTime: 1_717_243_207), .duplicate)
        XCTAssertEqual(try ledgerDecide(event: ledger, lastStatus: "refunded", lastTime: 1_717_243_100), .stale)
        XCTAssertEqual(try ledgerDecide(event: ledger, lastStatus: "processing", lastTime: 1_717_243_300), .apply)

        let other = Data(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "payment-invoices", with: "widgets").utf8)
        XCTAssertNil(try paycoreVerifyCallback(body: other, signature: try paycoreSignCallback(body: other, secret: "sk_test_1"), secret: "sk_test_1").ledgerEvent)
    }

    func testABadKindIsInvalidInput() {
        let event = LedgerEvent(kind: "paycore", entityId: "cpi_1", status: "processed", time: 1)
        XCTAssertThrowsError(try ledgerDecide(event: event, lastStatus: nil, lastTime: nil)) { error in
            guard case .InvalidInput = error as? PolypayError else { return XCTFail("\(error)") }
            XCTAssertEqual((error as! PolypayError).details.code, "unknown_kind")
        }
    }
}
