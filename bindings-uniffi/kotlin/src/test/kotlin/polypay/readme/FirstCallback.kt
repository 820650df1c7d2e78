// A sample of docs/getting-started/kotlin.md (see Client.kt): ReadmeTest compares it and runs it
// against the sandbox, with the variables `polypay sandbox env` prints.
package polypay.readme

// readme-sample: kotlin-callback begin
import com.sun.net.httpserver.HttpServer
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.withTimeout
import polypay.*
import java.math.BigDecimal
import java.net.InetSocketAddress

// A callback endpoint (the JDK's HttpServer here; any framework that gives you the raw body), and
// a payment on the sandbox's test service, whose signed callbacks it receives.
suspend fun firstCallback(env: Map<String, String> = System.getenv()): CallbackEvent {
    val secretKey = env.getValue("POLYPAY_SECRET_KEY")
    val settled = CompletableDeferred<CallbackEvent>()
    val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
    server.createContext("/paycore/callback") { exchange ->
        val status = try {
            // Verify the X-Signature over the raw body bytes before trusting anything in them.
            val event = paycoreVerifyCallback(exchange.requestBody.readBytes(), exchange.requestHeaders.getFirst("X-Signature") ?: "", secretKey)
            println("callback for ${event.id}: ${event.status}")
            if (event.isFinal) settled.complete(event) // fulfil the order here, once (see the callbacks guide)
            200 // received: the gateway stops delivering this one
        } catch (e: PolypayException.Signature) {
            400 // not from the gateway
        }
        exchange.sendResponseHeaders(status, -1)
        exchange.close()
    }
    server.start()
    try {
        val client = PayCoreClient(ClientOptions(baseUrl = env["POLYPAY_BASE_URL"], accountId = env["POLYPAY_ACCOUNT_ID"], apiKey = env["POLYPAY_API_KEY"]))
        val invoice = client.createPaymentInvoice(
            PaymentInvoiceRequest(
                service = "test_usd_test", amount = BigDecimal("100.55"), currency = "USD",
                testMode = true, // test operations' callbacks are signed with the test secret key
                callbackUrl = "http://127.0.0.1:${server.address.port}/paycore/callback",
                serviceFields = mapOf("status" to "success"), // the test service settles at once
            ),
        )
        val event = withTimeout(30_000) { settled.await() }
        check(event.id == invoice.id && event.isSuccess) { "unexpected callback: $event" }
        return event
    } finally {
        server.stop(0)
    }
}
// readme-sample: kotlin-callback end
