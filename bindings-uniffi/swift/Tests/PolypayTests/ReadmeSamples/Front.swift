// A README sample (see Client.swift): the root README's Swift sample, also on
// docs/getting-started/swift.md. ReadmeTests compares it and runs it against the sandbox.

// readme-sample: swift-front begin
import Foundation
import Polypay
struct Payments { // env: ProcessInfo.processInfo.environment after `eval "$(polypay sandbox env)"`
    let client: PayCoreClient
    init(env: [String: String] = ProcessInfo.processInfo.environment) throws {
        client = try PayCoreClient(options: ClientOptions(accountId: env["POLYPAY_ACCOUNT_ID"], apiKey: env["POLYPAY_API_KEY"],
                                                          secretKey: env["POLYPAY_SECRET_KEY"], baseUrl: env["POLYPAY_BASE_URL"])) }
    func pay() async throws -> PaymentInvoice { try await client.createPaymentInvoice(PaymentInvoiceRequest(
        service: "test_usd_test", amount: Decimal(string: "100.55")!, currency: "USD", testMode: true, serviceFields: ["status": "success"])) }
    // Your server's callback route: the raw body and its X-Signature header (a bad signature throws).
    func onCallback(body: Data, xSignature: String) throws -> CallbackEvent { try client.verifyCallback(body: body, signature: xSignature) }
}
// readme-sample: swift-front end
