// A README sample (see Client.swift): ReadmeTests compares and runs it.

// readme-sample: swift-hpp-callback begin
import Foundation
import Polypay

// Hosted payment page URL (parameters as JSON text: key order and number lexemes are kept).
func paymentPageUrl(baseUrl: String, publicKey: String) throws -> String {
    try paycoreHppUrl(paramsJson: #"{"public_key":"\#(publicKey)","amount":"100.55","currency":"USD"}"#, baseUrl: baseUrl)
}

// A callback: verify the X-Signature over the raw body bytes with the secret key, then read it.
func onCallback(body: Data, xSignature: String, secretKey: String) throws -> Bool {
    let event = try paycoreVerifyCallback(body: body, signature: xSignature, secret: secretKey) // throws PolypayError.Signature
    return event.isFinal && event.isSuccess // then fulfil the order of event.invoice
}
// readme-sample: swift-hpp-callback end
