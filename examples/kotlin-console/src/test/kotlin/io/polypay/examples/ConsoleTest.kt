package io.polypay.examples

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import polypay.paycoreSignCallback
import java.math.BigDecimal
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.TimeUnit

/** The console program's flow against a real `polypay sandbox` (the CLI from `polypay.cli`). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleTest {
    private lateinit var sandbox: Process
    private lateinit var config: Config
    private val http = HttpClient.newHttpClient()

    @BeforeAll
    fun start() {
        val cli = System.getProperty("polypay.cli") ?: "../../target/debug/polypay"
        sandbox = ProcessBuilder(cli, "sandbox", "--port", "0", "--print-config")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val line = sandbox.inputStream.bufferedReader().readLine() ?: error("the sandbox did not start")
        val baseUrl = Regex("\"base_url\":\"([^\"]+)\"").find(line)!!.groupValues[1]
        config = Config.fromEnv(mapOf("PAYCORE_BASE_URL" to baseUrl)).copy(timeoutMillis = 15_000)
    }

    @AfterAll
    fun stop() {
        sandbox.destroy()
        if (!sandbox.waitFor(10, TimeUnit.SECONDS)) sandbox.destroyForcibly()
    }

    private fun get(path: String) = http.send(
        HttpRequest.newBuilder(URI.create(config.baseUrl + path)).build(),
        HttpResponse.BodyHandlers.ofString(),
    ).body()

    private fun post(url: String, body: String, signature: String) = http.send(
        HttpRequest.newBuilder(URI.create(url)).header("X-Signature", signature)
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString(),
    ).statusCode()

    @Test
    fun paysThroughTheTestServiceThenPaysOut() {
        val lines = mutableListOf<String>()
        val result = CallbackReceiver(config.secretKey).use { receiver ->
            runBlocking { run(config, receiver) { lines += it } }
        }
        assertTrue(result.ok, "$result")
        assertEquals("processed", result.payment.status)
        assertEquals(0, BigDecimal("19.99").compareTo(result.payment.amount))
        assertEquals(listOf("created", "process_pending", "processed"), result.payment.callbacks)
        assertEquals("processed", result.payout.status)
        assertEquals("processed", result.payout.callbacks.last())
        // The gateway side agrees (admin API of the sandbox; callback_logs entries say done/failed).
        val processed = Regex(""""status":\s*"processed"""")
        assertTrue(processed.containsMatchIn(get("/__sandbox/invoices/${result.payment.id}")))
        assertTrue(processed.containsMatchIn(get("/__sandbox/invoices/${result.payout.id}")))
        assertTrue(lines.any { it.contains("final status processed") }, "$lines")
    }

    @Test
    fun aDeclinedPaymentIsReportedAsSuch() {
        val declined = config.copy(testStatus = "fail")
        val result = CallbackReceiver(config.secretKey).use { runBlocking { run(declined, it) {} } }
        assertEquals("process_failed", result.payment.status)
        assertEquals("process_failed", result.payment.callbacks.last())
        assertTrue(!result.ok)
    }

    @Test
    fun theReceiverRejectsATamperedCallback() {
        CallbackReceiver(config.secretKey).use { receiver ->
            val body = """{"data":{"type":"payment-invoices","id":"cpi_T1","attributes":{"status":"processed","amount":10,"currency":"USD","reference_id":"r","test_mode":true}}}"""
            val signature = paycoreSignCallback(body.toByteArray(), config.secretKey)
            assertEquals(400, post(receiver.url, body.replace("10", "1000"), signature))
            assertEquals(400, post(receiver.url, body, paycoreSignCallback(body.toByteArray(), "sk_test_other")))
            assertEquals(200, post(receiver.url, body, signature))
            assertEquals(listOf("cpi_T1"), receiver.events.map { it.id })
            assertEquals(2, receiver.rejected.size)
        }
    }
}
