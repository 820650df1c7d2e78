// A README sample (see Client.kt): ReadmeTest compares and runs it.
package polypay.readme

// readme-sample: kotlin-hpp-callback begin
import polypay.*

// Hosted payment page URL (parameters as JSON text: key order and number lexemes are kept).
fun paymentPageUrl(baseUrl: String, publicKey: String): String =
    paycoreHppUrl("""{"public_key":"$publicKey","amount":"100.55","currency":"USD"}""", baseUrl = baseUrl)

// A callback: verify the X-Signature over the raw body bytes with the secret key, then read it.
fun onCallback(requestBody: ByteArray, xSignature: String, secretKey: String): Boolean {
    val event = paycoreVerifyCallback(requestBody, xSignature, secretKey) // throws PolypayException.Signature
    return event.isFinal && event.isSuccess // then fulfil the order of event.invoice
}
// readme-sample: kotlin-hpp-callback end
