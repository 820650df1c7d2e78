// The README samples are this code: ReadmeTest checks that each README block marked
// `<!-- readme-sample: NAME -->` equals the region between the `// readme-sample: NAME begin`
// and `end` lines below, byte for byte, and runs it against `polypay sandbox`.
package polypay.readme

// readme-sample: kotlin-client begin
import polypay.*
import java.math.BigDecimal

// baseUrl, accountId, apiKey: from `polypay sandbox --print-config` (base_url, paycore.account_id,
// paycore.api_key). With real keys, leave baseUrl out: env = "paycore" (default) or "paymega".
suspend fun createInvoice(baseUrl: String, accountId: String, apiKey: String, referenceId: String): PaymentInvoice? {
    // The API client (suspend functions; share one client in an app).
    val client = PayCoreClient(ClientOptions(baseUrl = baseUrl, accountId = accountId, apiKey = apiKey))
    return try {
        // test_usd_test: a sandbox test service; service_fields.status picks the outcome.
        val invoice = client.createPaymentInvoice(
            PaymentInvoiceRequest(
                service = "test_usd_test",
                amount = BigDecimal("100.55"), // exact; a BigDecimal both ways
                currency = "USD",
                referenceId = referenceId,
                serviceFields = mapOf("status" to "success"),
            ),
        )
        println("${invoice.id} ${invoice.status} ${invoice.amount}")
        invoice
    } catch (e: PolypayException.Validation) {
        println(e.details.fields) // what the gateway refused, field by field
        null
    } catch (e: PolypayException) {
        println("${e.details.kind} ${e.details.httpStatus} ${e.details.requestId} unknown=${e.details.outcomeUnknown}")
        // The create may or may not have happened: look it up by its reference id.
        if (e.details.outcomeUnknown) client.findPaymentInvoice(referenceId) else throw e
    }
}
// readme-sample: kotlin-client end
