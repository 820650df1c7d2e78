// A Kotlin console program on polypay: creates a payment invoice on the sandbox's test service
// (the test service pays it with the outcome asked for), waits until both the API and a verified
// callback say it is final, then makes a payout and waits for it the same way.
package io.polypay.examples

import com.sun.net.httpserver.HttpServer
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import polypay.CallbackEvent
import polypay.ClientOptions
import polypay.PayCoreClient
import polypay.PolypayException
import polypay.createPaymentInvoice
import polypay.createPayoutInvoice
import polypay.details
import polypay.getPaymentInvoice
import polypay.getPayoutInvoice
import polypay.paycoreVerifyCallback
import java.math.BigDecimal
import java.net.InetSocketAddress
import java.util.UUID
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.system.exitProcess

/** The shop contract's variables (the sandbox's defaults), plus this program's own. */
data class Config(
    val baseUrl: String = "http://127.0.0.1:12380",
    val accountId: String = "coma_sandbox",
    val apiKey: String = "sandbox_api_key",
    val publicKey: String = "pk_test_sandbox",
    val secretKey: String = "sk_test_sandbox",
    val amount: BigDecimal = BigDecimal("19.99"),
    val currency: String = "USD",
    /** What the test service does: success | fail | pending. */
    val testStatus: String = "success",
    val payoutAmount: BigDecimal = BigDecimal("5.00"),
    val payoutAccount: String = "4111111111",
    val timeoutMillis: Long = 30_000,
) {
    /** Never shows the API key or the secret. */
    override fun toString() = "Config(baseUrl=$baseUrl, accountId=$accountId, amount=$amount $currency)"

    companion object {
        fun fromEnv(env: Map<String, String> = System.getenv()): Config {
            val d = Config()
            return Config(
                baseUrl = env["PAYCORE_BASE_URL"] ?: d.baseUrl,
                accountId = env["PAYCORE_ACCOUNT_ID"] ?: d.accountId,
                apiKey = env["PAYCORE_API_KEY"] ?: d.apiKey,
                publicKey = env["PAYCORE_PUBLIC_KEY"] ?: d.publicKey,
                secretKey = env["PAYCORE_SECRET_KEY"] ?: d.secretKey,
                amount = env["AMOUNT"]?.let(::BigDecimal) ?: d.amount,
                currency = env["CURRENCY"] ?: d.currency,
                testStatus = env["TEST_STATUS"] ?: d.testStatus,
                payoutAmount = env["PAYOUT_AMOUNT"]?.let(::BigDecimal) ?: d.payoutAmount,
                payoutAccount = env["PAYOUT_ACCOUNT"] ?: d.payoutAccount,
            )
        }
    }
}

/** A callback endpoint on a free local port: verifies X-Signature over the raw bytes (400 when it
 * does not match) and keeps the verified events. */
class CallbackReceiver(private val secretKey: String) : AutoCloseable {
    val events = CopyOnWriteArrayList<CallbackEvent>()
    val rejected = CopyOnWriteArrayList<String>()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
    val url: String get() = "http://127.0.0.1:${server.address.port}/callbacks/paycore"

    init {
        server.createContext("/callbacks/paycore") { exchange ->
            val body = exchange.requestBody.readAllBytes()
            val signature = exchange.requestHeaders.getFirst("X-Signature") ?: ""
            val (code, text) = try {
                events += paycoreVerifyCallback(body, signature, secretKey)
                200 to "OK"
            } catch (e: PolypayException) {
                rejected += e.details.msg
                400 to "invalid callback: ${e.details.msg}"
            }
            val bytes = text.toByteArray()
            exchange.sendResponseHeaders(code, bytes.size.toLong())
            exchange.responseBody.use { it.write(bytes) }
        }
        server.start()
    }

    fun final(id: String): CallbackEvent? = events.firstOrNull { it.id == id && it.isFinal }

    override fun close() = server.stop(0)
}

data class Outcome(val id: String, val reference: String, val status: String, val amount: BigDecimal?, val callbacks: List<String>)

data class Result(val payment: Outcome, val payout: Outcome) {
    val ok get() = payment.status == "processed" && payout.status == "processed"
}

private fun json(s: String) = "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

/** Waits until the API says final and the verified final callback is in; returns the API status. */
private suspend fun waitFinal(what: String, id: String, receiver: CallbackReceiver, timeoutMillis: Long, fetch: suspend () -> Pair<String, Boolean>): String {
    val until = System.currentTimeMillis() + timeoutMillis
    while (true) {
        val (status, final) = fetch()
        if (final && receiver.final(id) != null) return status
        check(System.currentTimeMillis() < until) { "$what $id: not final after $timeoutMillis ms (status $status)" }
        delay(50)
    }
}

suspend fun run(config: Config, receiver: CallbackReceiver, say: (String) -> Unit = ::println): Result {
    PayCoreClient(
        ClientOptions(
            baseUrl = config.baseUrl,
            publicKey = config.publicKey,
            accountId = config.accountId,
            apiKey = config.apiKey,
            secretKey = config.secretKey,
        ),
    ).use { client ->
        val tag = UUID.randomUUID().toString().take(8)
        val service = "test_${config.currency.lowercase()}_test"
        val reference = "kotlin-order-$tag"
        // test_mode: test callbacks are signed with the test secret this program verifies with.
        val invoice = client.createPaymentInvoice(
            """{"service":${json(service)},"amount":${json(config.amount.toPlainString())},"currency":${json(config.currency)},""" +
                """"reference_id":${json(reference)},"test_mode":true,"service_fields":{"status":${json(config.testStatus)}},""" +
                """"description":"Kotlin console order","callback_url":${json(receiver.url)}}""",
        )
        say("payment invoice ${invoice.id} created for $reference: ${invoice.amount} ${invoice.currency}, status ${invoice.status}")
        val paymentStatus = waitFinal("payment", invoice.id, receiver, config.timeoutMillis) {
            client.getPaymentInvoice(invoice.id).let { it.status.toString() to it.isFinal }
        }
        val paymentCallbacks = receiver.events.filter { it.id == invoice.id }.map { it.status }
        say("payment ${invoice.id}: final status $paymentStatus; verified callbacks ${paymentCallbacks.joinToString(" -> ")}")

        val payoutReference = "kotlin-payout-$tag"
        val payout = client.createPayoutInvoice(
            """{"service":${json("test_${config.currency.lowercase()}")},"amount":${json(config.payoutAmount.toPlainString())},""" +
                """"currency":${json(config.currency)},"reference_id":${json(payoutReference)},"test_mode":true,""" +
                """"fields":{"account":${json(config.payoutAccount)}},"callback_url":${json(receiver.url)}}""",
        )
        say("payout ${payout.id} created for $payoutReference: ${payout.amount} ${payout.currency}, status ${payout.status}")
        val payoutStatus = waitFinal("payout", payout.id, receiver, config.timeoutMillis) {
            client.getPayoutInvoice(payout.id).let { it.status.toString() to it.isFinal }
        }
        val payoutCallbacks = receiver.events.filter { it.id == payout.id }.map { it.status }
        say("payout ${payout.id}: final status $payoutStatus; verified callbacks ${payoutCallbacks.joinToString(" -> ")}")
        return Result(
            Outcome(invoice.id, reference, paymentStatus, invoice.amount, paymentCallbacks),
            Outcome(payout.id, payoutReference, payoutStatus, payout.amount, payoutCallbacks),
        )
    }
}

fun main() {
    val config = Config.fromEnv()
    println("polypay Kotlin console: $config")
    val result = try {
        CallbackReceiver(config.secretKey).use { receiver -> runBlocking { run(config, receiver) } }
    } catch (e: PolypayException) {
        System.err.println("failed: ${e.details.kind} ${e.details.msg}")
        exitProcess(2)
    } catch (e: IllegalStateException) { // not final in time (e.g. TEST_STATUS=pending)
        System.err.println("failed: ${e.message}")
        exitProcess(1)
    }
    // One machine-readable line for scripts (the demo driver checks it against the sandbox).
    fun o(x: Outcome) = """{"id":${json(x.id)},"reference_id":${json(x.reference)},"status":${json(x.status)},""" +
        """"amount":${json(x.amount?.toPlainString() ?: "")},"callbacks":[${x.callbacks.joinToString(",") { json(it) }}]}"""
    println("""RESULT {"payment":${o(result.payment)},"payout":${o(result.payout)}}""")
    exitProcess(if (result.ok) 0 else 1)
}
