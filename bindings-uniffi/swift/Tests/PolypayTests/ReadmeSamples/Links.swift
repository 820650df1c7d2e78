// A sample of docs/getting-started/swift.md (see Client.swift): ReadmeTests compares it and runs
// it against the sandbox, with the variables `polypay sandbox env` prints.

// readme-sample: swift-links begin
import Foundation
import Polypay

// env: ProcessInfo.processInfo.environment after `eval "$(polypay sandbox env)"`.
func paymentLinks(env: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
    // PayCore Hosted Payment Page: the public key and the order; the page collects the card.
    let hpp = try paycoreHppUrl(
        paramsJson: #"{"public_key":"\#(env["POLYPAY_PUBLIC_KEY"] ?? "")","amount":"100.55","currency":"USD","reference_id":"order-1001"}"#,
        baseUrl: env["POLYPAY_BASE_URL"]) // with real keys leave it out: env "paycore" (the default)
    // ecommpay Payment Page: signed with the project's secret key, so build it on your server.
    let gate = try EcommpayGate(
        projectId: Int64(env["POLYPAY_ECOMMPAY_PROJECT_ID"] ?? "") ?? 0, secretKey: env["POLYPAY_ECOMMPAY_SECRET"] ?? "",
        baseUrl: env["POLYPAY_ECOMMPAY_PAYMENT_PAGE_URL"]) // nil: https://paymentpage.ecommpay.com
    // Parameters as JSON text: key order and number lexemes are kept, as the signature needs.
    let page = try gate.paymentPageUrl(
        fieldsJson: #"{"payment_id":"order-1001","payment_amount":10055,"payment_currency":"USD","customer_id":"customer-7"}"#)
    return [hpp, page]
}
// readme-sample: swift-links end
