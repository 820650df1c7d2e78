// A sample of docs/getting-started/kotlin.md (see Client.kt): ReadmeTest compares it and runs it
// against the sandbox, with the variables `polypay sandbox env` prints.
package polypay.readme

// readme-sample: kotlin-app begin
import polypay.*
import java.math.BigDecimal

// In an Android app: the public key, nothing else (PublicClientOptions has no field for an API key
// or a secret). Creating an invoice through the Public API answers where to send the customer.
suspend fun startCheckout(publicKey: String, baseUrl: String? = null): String =
    PublicPayCoreClient(PublicClientOptions(publicKey = publicKey, baseUrl = baseUrl)).use { app ->
        val invoice = app.createPaymentInvoicePublic(
            PaymentInvoiceRequest(service = "payment_card_usd_hpp", amount = BigDecimal("100.55"), currency = "USD"),
        )
        invoice.flowData?.action ?: error("no payment page for ${invoice.id}") // open it in a Custom Tab
    }
// readme-sample: kotlin-app end
