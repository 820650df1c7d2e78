// A sample of docs/getting-started/swift.md (see Client.swift): ReadmeTests compares it and runs
// it against the sandbox.

// readme-sample: swift-app begin
import Foundation
import Polypay

// In an iOS app: the public key, nothing else (PublicClientOptions has no field for an API key or
// a secret). Creating an invoice through the Public API answers where to send the customer.
func startCheckout(publicKey: String, baseUrl: String? = nil) async throws -> String? {
    let app = try PublicPayCoreClient(options: PublicClientOptions(publicKey: publicKey, baseUrl: baseUrl))
    let invoice = try await app.createPaymentInvoicePublic(PaymentInvoiceRequest(
        service: "payment_card_usd_hpp", amount: Decimal(string: "100.55")!, currency: "USD"))
    return invoice.flowData?.action // open it in an ASWebAuthenticationSession or SFSafariViewController
}
// readme-sample: swift-app end
