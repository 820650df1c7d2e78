// The README samples are this code: ReadmeTests checks that each README block marked
// `<!-- readme-sample: NAME -->` equals the region between the `// readme-sample: NAME begin`
// and `end` lines below, byte for byte, and runs it against `polypay sandbox`.

// readme-sample: swift-client begin
import Foundation
import Polypay

// baseUrl, accountId, apiKey: from `polypay sandbox --print-config` (base_url, paycore.account_id,
// paycore.api_key). With real keys, leave baseUrl out: env "paycore" (default) or "paymega".
func createInvoice(baseUrl: String, accountId: String, apiKey: String, referenceId: String) async throws -> PaymentInvoice? {
    // The API client (async; share one client in an app).
    let client = try PayCoreClient(options: ClientOptions(accountId: accountId, apiKey: apiKey, baseUrl: baseUrl))
    do {
        // test_usd_test: a sandbox test service; service_fields.status picks the outcome.
        let invoice = try await client.createPaymentInvoice(PaymentInvoiceRequest(
            service: "test_usd_test", amount: Decimal(string: "100.55")!, currency: "USD", // exact
            referenceId: referenceId, serviceFields: ["status": "success"]))
        print(invoice.id, invoice.status, invoice.amount ?? 0)
        return invoice
    } catch let error as PolypayError {
        print(error.details.kind, error.details.httpStatus as Any, error.details.requestId as Any)
        if case .Validation = error {
            print(error.details.fields) // what the gateway refused, field by field
            return nil
        }
        // The create may or may not have happened: look it up by its reference id.
        if error.details.outcomeUnknown { return try await client.findPaymentInvoice(referenceId: referenceId) }
        throw error
    }
}
// readme-sample: swift-client end
