import Foundation
import XCTest
@testable import Polypay

/// A sandbox flow with async/await against `polypay sandbox` (POLYPAY_CLI, set by run-tests.sh).
final class SandboxTests: XCTestCase {
    var process: Process!
    var config: [String: Any] = [:]

    override func setUpWithError() throws {
        let cli = ProcessInfo.processInfo.environment["POLYPAY_CLI"] ?? "../../target/debug/polypay"
        process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["sandbox", "--port", "0", "--print-config", "--seed", "7"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let first = line.split(separator: 0x0A).first ?? Data()
        config = try JSONSerialization.jsonObject(with: Data(first)) as! [String: Any]
    }

    override func tearDown() {
        process?.terminate()
        process?.waitUntilExit()
    }

    func client(apiKey: String? = nil, maxRetries: UInt32 = 2) throws -> PayCoreClient {
        let keys = config["paycore"] as! [String: String]
        return try PayCoreClient(options: ClientOptions(
            publicKey: keys["public_key_test"], accountId: keys["account_id"],
            apiKey: apiKey ?? keys["api_key"], secretKey: keys["secret_key_test"],
            baseUrl: config["base_url"] as? String, maxRetries: maxRetries))
    }

    func testPaymentFlow() async throws {
        let client = try client()
        let reference = "sw-" + UUID().uuidString.prefix(12)
        let invoice = try await client.createPaymentInvoice(
            fieldsJson: "{\"service\":\"test_usd_test\",\"amount\":\"100.55\",\"currency\":\"USD\",\"service_fields\":{\"status\":\"success\"},\"reference_id\":\"\(reference)\"}")
        XCTAssertTrue(invoice.id.hasPrefix("cpi_"))
        XCTAssertEqual(invoice.status, .processed)
        XCTAssertLessThan(abs(invoice.created!.timeIntervalSinceNow), 3600) // a Date
        XCTAssertTrue(invoice.isFinal && invoice.isSuccess)
        XCTAssertEqual(invoice.amount, Decimal(string: "100.55"))
        XCTAssertEqual(invoice.response?.httpStatus, 201)
        let got = try await client.getPaymentInvoice(id: invoice.id)
        XCTAssertEqual(got.id, invoice.id)
        let found = try await client.findPaymentInvoice(referenceId: reference)
        XCTAssertEqual(found?.id, invoice.id)
        var listed: [String] = []
        for try await item in client.listPaymentInvoices(referenceId: reference) { listed.append(item.id) }
        XCTAssertEqual(listed, [invoice.id])
        // Pages of one item, read across pages and stopped by the consumer.
        _ = try await client.createPaymentInvoice(
            fieldsJson: "{\"service\":\"test_usd_test\",\"amount\":\"3\",\"currency\":\"USD\",\"service_fields\":{\"status\":\"success\"}}")
        var firstTwo: [String] = []
        for try await item in client.listPaymentInvoices(pageSize: 1) {
            firstTwo.append(item.id)
            if firstTwo.count == 2 { break }
        }
        XCTAssertEqual(Set(firstTwo).count, 2)
        let refund = try await client.refundPaymentInvoice(id: invoice.id, RefundRequest(amount: Decimal(string: "10.05")!))
        XCTAssertEqual(refund.amount, Decimal(string: "10.05"))
        let gotRefund = try await client.getRefund(id: refund.id)
        XCTAssertEqual(gotRefund.originalId, invoice.id)
        var refunds: [String] = []
        for try await item in client.listRefunds(referenceId: refund.referenceId) { refunds.append(item.id) }
        XCTAssertEqual(refunds, [refund.id])
        var payoutServices: [PayoutService] = []
        for try await service in client.listPayoutServices(pageSize: 1) { payoutServices.append(service) }
        XCTAssertGreaterThan(payoutServices.count, 1)
        let payoutService = try await client.getPayoutService(id: payoutServices[0].id)
        XCTAssertEqual(payoutService.id, payoutServices[0].id)
        let balances = try await client.balances()
        XCTAssertFalse(balances.currencies.isEmpty)
    }

    func testStatusesAreTypedAndOpen() throws {
        let client = try client()
        let secret = (config["paycore"] as! [String: String])["secret_key_test"]!
        func event(_ status: String) throws -> CallbackEvent {
            let body = Data("{\"data\":{\"type\":\"payment-invoices\",\"id\":\"cpi_1\",\"attributes\":{\"status\":\"\(status)\",\"resolution\":\"ok\"}}}".utf8)
            return try client.verifyCallback(body: body, signature: try paycoreSignCallback(body: body, secret: secret))
        }
        func invoice(_ event: CallbackEvent) -> PaymentInvoice? {
            if case .payment(let invoice) = event.invoice { return invoice }
            return nil
        }
        let known = try event("processed")
        XCTAssertEqual(invoice(known)?.status, .processed)
        XCTAssertEqual(invoice(known)?.resolution, .ok)
        // A status this version does not know is kept, not refused.
        let newer = try event("brand_new_status")
        XCTAssertEqual(invoice(newer)?.status, .other(value: "brand_new_status"))
        XCTAssertFalse(newer.isFinal)
        XCTAssertEqual("\(invoice(known)!.status) \(invoice(newer)!.status)", "processed brand_new_status")
    }

    func testPublicClientHoldsOnlyThePublicKey() async throws {
        let keys = config["paycore"] as! [String: String]
        let base = config["base_url"] as! String
        let app = try PublicPayCoreClient(options: PublicClientOptions(publicKey: keys["public_key_test"]!, baseUrl: base))
        XCTAssertEqual(app.baseUrl(), base)
        let prerequest = try await app.paymentPrerequest(PrerequestRequest(currency: "USD", amount: 10))
        XCTAssertFalse(prerequest.services.isEmpty)
        let invoice = try await app.createPaymentInvoicePublic(PaymentInvoiceRequest(
            service: "test_usd_test", amount: 7, currency: "USD", serviceFields: ["status": "success"]))
        do {
            _ = try await app.createPaymentInvoicePublic(PaymentInvoiceRequest(
                service: "test_usd_test", amount: 7, currency: "USD", extraJson: #"{"currency":"EUR"}"#))
            XCTFail("a field given twice was accepted")
        } catch let error as PolypayError {
            XCTAssertEqual(error.details.argument, "extra_json.currency")
        }
        XCTAssertTrue(invoice.id.hasPrefix("cpi_"))
        let again = try await app.getPaymentInvoicePublic(id: invoice.id)
        XCTAssertEqual(again.id, invoice.id)
        let server = try await client().getPaymentInvoice(id: invoice.id)
        XCTAssertEqual(server.id, invoice.id)
        let labels = Mirror(reflecting: PublicClientOptions(publicKey: "pk_test_x")).children.compactMap { $0.label }
        XCTAssertFalse(labels.contains { $0.contains("apiKey") || $0.contains("secretKey") || $0.contains("accountId") }, "\(labels)")
    }

    func testErrors() async throws {
        let bad = try client(apiKey: "wrong_key")
        let auth = await expectErrorAsync("auth") { _ = try await bad.balances() }
        guard case .Authentication = auth else { return XCTFail("\(String(describing: auth))") }
        XCTAssertEqual(auth?.details.httpStatus, 401)
        let client = try client()
        let nf = await expectErrorAsync("404") { _ = try await client.getPaymentInvoice(id: "cpi_doesnotexist") }
        guard case .NotFound = nf else { return XCTFail("\(String(describing: nf))") }
        let input = await expectErrorAsync("bad json") { _ = try await client.createPaymentInvoice(fieldsJson: "not json") }
        guard case .InvalidInput = input else { return XCTFail("\(String(describing: input))") }
    }
}
