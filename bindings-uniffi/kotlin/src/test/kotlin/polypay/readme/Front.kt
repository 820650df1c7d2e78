// A README sample (see Client.kt): the root README's Kotlin sample, also on
// docs/getting-started/kotlin.md. ReadmeTest compares it and runs it against the sandbox.
package polypay.readme

// readme-sample: kotlin-front begin
import polypay.*
import java.math.BigDecimal

// env: System.getenv() after `eval "$(polypay sandbox env)"` (the sandbox's URL and test keys).
class Payments(env: Map<String, String> = System.getenv()) {
    val client = PayCoreClient(ClientOptions(baseUrl = env["POLYPAY_BASE_URL"], accountId = env["POLYPAY_ACCOUNT_ID"],
        apiKey = env["POLYPAY_API_KEY"], secretKey = env["POLYPAY_SECRET_KEY"]))
    suspend fun pay(): PaymentInvoice = client.createPaymentInvoice(PaymentInvoiceRequest(service = "test_usd_test",
        amount = BigDecimal("100.55"), currency = "USD", testMode = true, serviceFields = mapOf("status" to "success")))
    // Your callback route: the raw body and its X-Signature header (a bad signature throws).
    fun onCallback(body: ByteArray, xSignature: String): CallbackEvent = client.verifyCallback(body, xSignature)
}
// readme-sample: kotlin-front end
