// A sample of docs/getting-started/kotlin.md (see Client.kt): ReadmeTest compares it and runs it
// against the sandbox, with the variables `polypay sandbox env` prints.
package polypay.readme

// readme-sample: kotlin-links begin
import polypay.*

// env: System.getenv() after `eval "$(polypay sandbox env)"`.
fun paymentLinks(env: Map<String, String> = System.getenv()): List<String> {
    // PayCore Hosted Payment Page: the public key and the order; the page collects the card.
    val hpp = paycoreHppUrl(
        """{"public_key":"${env["POLYPAY_PUBLIC_KEY"]}","amount":"100.55","currency":"USD","reference_id":"order-1001"}""",
        baseUrl = env["POLYPAY_BASE_URL"], // with real keys leave it out: env = "paycore" (the default)
    )
    // ecommpay Payment Page: signed with the project's secret key, so build it on your server.
    val page = EcommpayGate(
        projectId = env.getValue("POLYPAY_ECOMMPAY_PROJECT_ID").toLong(),
        secretKey = env.getValue("POLYPAY_ECOMMPAY_SECRET"),
        baseUrl = env["POLYPAY_ECOMMPAY_PAYMENT_PAGE_URL"], // null: https://paymentpage.ecommpay.com
    ).use { gate ->
        // Parameters as JSON text: key order and number lexemes are kept, as the signature needs.
        gate.paymentPageUrl("""{"payment_id":"order-1001","payment_amount":10055,"payment_currency":"USD","customer_id":"customer-7"}""")
    }
    return listOf(hpp, page)
}
// readme-sample: kotlin-links end
