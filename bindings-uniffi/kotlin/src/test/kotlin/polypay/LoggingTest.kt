package polypay

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.math.BigDecimal
import java.util.Base64
import java.util.UUID
import java.util.concurrent.CopyOnWriteArrayList
import java.util.logging.Handler
import java.util.logging.Level
import java.util.logging.LogRecord
import java.util.logging.Logger

/** The core's events through `Polypay.setLogger`, against `polypay sandbox`. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoggingTest {
    private lateinit var sandbox: Sandbox
    private lateinit var client: PayCoreClient

    data class Line(val level: LogLevel, val target: String, val message: String)

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        client = PayCoreClient(
            ClientOptions(
                baseUrl = sandbox.baseUrl,
                accountId = sandbox.key("account_id"),
                apiKey = sandbox.key("api_key"),
                secretKey = sandbox.key("secret_key_test"),
            ),
        )
    }

    @AfterAll
    fun stop() {
        Polypay.clearLogger()
        client.close()
        sandbox.close()
    }

    @AfterEach
    fun reset() {
        Polypay.clearLogger()
        sandbox.admin("DELETE", "/faults")
    }

    private fun create() = runBlocking {
        client.createPaymentInvoice(
            PaymentInvoiceRequest(
                service = "test_usd_test",
                amount = BigDecimal("10.00"),
                currency = "USD",
                referenceId = "log-" + UUID.randomUUID().toString().take(12),
                serviceFields = mapOf("status" to "success"),
            ),
        )
    }

    @Test
    fun aClientCallLogsItsRequestsAndNeverTheKeys() {
        val lines = CopyOnWriteArrayList<Line>()
        Polypay.setLogger(LogLevel.DEBUG) { level, target, message -> lines += Line(level, target, message) }
        // A 503 first: a failed attempt, a retry, then the answer.
        sandbox.admin("POST", "/faults", """{"route":"POST /api/payment-invoices","nth":1,"effect":{"status":503}}""")
        val invoice = create()
        assertTrue(invoice.id.startsWith("cpi_"), invoice.id)

        assertTrue(lines.all { it.target == "polypay" }, "$lines")
        val responses = lines.filter { it.message.startsWith("response") }
        assertTrue(responses.any { it.level == LogLevel.DEBUG && "path=/api/payment-invoices" in it.message && "status=503" in it.message }, "$lines")
        assertTrue(responses.any { "method=POST" in it.message && ("status=201" in it.message || "status=200" in it.message) }, "$lines")
        assertTrue(lines.any { it.message.startsWith("attempt failed") && "kind=server" in it.message }, "$lines")

        val apiKey = sandbox.key("api_key")
        val secretKey = sandbox.key("secret_key_test")
        val basic = Base64.getEncoder().encodeToString("${sandbox.key("account_id")}:$apiKey".toByteArray())
        for (line in lines) {
            for (secret in listOf(apiKey, secretKey, basic, "Basic ")) {
                assertFalse(secret in line.message, "a secret in: ${line.message}")
            }
        }
    }

    @Test
    fun theLevelFiltersAndNullStops() {
        val lines = CopyOnWriteArrayList<Line>()
        // INFO: the debug events (responses, failed attempts) are not forwarded.
        Polypay.setLogger(LogLevel.INFO) { level, target, message -> lines += Line(level, target, message) }
        create()
        assertEquals(emptyList<Line>(), lines.toList())

        Polypay.setLogger(LogLevel.DEBUG) { level, target, message -> lines += Line(level, target, message) }
        create()
        assertTrue(lines.isNotEmpty())

        lines.clear()
        Polypay.setLogger(log = null)
        create()
        assertEquals(emptyList<Line>(), lines.toList())

        Polypay.setLogger(LogLevel.TRACE) { level, target, message -> lines += Line(level, target, message) }
        Polypay.clearLogger()
        create()
        assertEquals(emptyList<Line>(), lines.toList())

        // The generated interface, directly: the same as the lambda.
        setLogger(
            object : PolypayLogger {
                override fun log(level: LogLevel, target: String, message: String) {
                    lines += Line(level, target, message)
                }
            },
            LogLevel.DEBUG,
        )
        create()
        assertTrue(lines.any { it.message.startsWith("response") }, "$lines")
        setLogger(null, LogLevel.DEBUG)
        lines.clear()
        create()
        assertEquals(emptyList<Line>(), lines.toList())
    }

    @Test
    fun aThrowingLoggerDoesNotFailTheCall() {
        var calls = 0
        Polypay.setLogger(LogLevel.TRACE) { _, _, _ ->
            calls++
            throw IllegalStateException("a broken logger")
        }
        assertTrue(create().id.startsWith("cpi_"))
        assertTrue(calls > 0)
    }

    @Test
    fun javaUtilLogging() {
        val records = CopyOnWriteArrayList<LogRecord>()
        val logger = Logger.getLogger("polypay.test.jul")
        val handler = object : Handler() {
            override fun publish(record: LogRecord) { records += record }
            override fun flush() {}
            override fun close() {}
        }
        logger.level = Level.ALL
        logger.useParentHandlers = false
        logger.addHandler(handler)
        try {
            Polypay.logToJavaUtilLogging(logger, LogLevel.DEBUG)
            create()
            assertTrue(records.any { it.level == Level.FINE && it.message.startsWith("response") }, "${records.map { it.message }}")
        } finally {
            logger.removeHandler(handler)
        }
    }
}
