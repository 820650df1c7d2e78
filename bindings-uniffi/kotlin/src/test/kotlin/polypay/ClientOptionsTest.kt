package polypay

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.ByteArrayOutputStream
import java.io.PrintStream

/**
 * `ClientOptions` keeps its keys out of every text Kotlin makes of it (`toString()` is the Rust
 * `Display`, exported by uniffi, which prints `<redacted>`), and refuses unusable times with a
 * typed error instead of crashing.
 */
class ClientOptionsTest {
    private val apiKey = "api_key_KOTLIN_NEVER_SHOWN_7f3a"
    private val secretKey = "sk_test_KOTLIN_NEVER_SHOWN_9c1d"

    /** Nothing listens on port 9 (discard) here: were a request sent, it would fail as Connection. */
    private fun options(apiKey: String? = this.apiKey, secretKey: String? = this.secretKey) = ClientOptions(
        publicKey = "pk_test_visible", accountId = "coma_visible", apiKey = apiKey, secretKey = secretKey,
        baseUrl = "http://127.0.0.1:9", maxRetries = 0u,
    )

    private fun assertNoSecret(text: String, what: String) {
        for (secret in listOf(apiKey, secretKey, "NEVER_SHOWN")) {
            assertFalse(text.contains(secret), "$what shows a secret: $text")
        }
    }

    private data class Holder(val name: String, val options: ClientOptions)

    @Test
    fun toStringRedactsTheKeys() {
        val options = options()
        val printed = ByteArrayOutputStream().also { out -> PrintStream(out, true).use { it.println(options) } }.toString()
        val texts = mapOf(
            "toString()" to options.toString(),
            "string template" to "options: $options",
            "String.format" to String.format("%s", options),
            "Objects.toString" to java.util.Objects.toString(options),
            "println" to printed,
            "list" to listOf(options, options.copy(timeout = 5.0)).toString(),
            "map" to mapOf("client" to options).toString(),
            "enclosing data class" to Holder("x", options).toString(),
            "exception message" to (IllegalStateException("bad options $options").message ?: ""),
            "stack trace" to IllegalStateException("bad options $options").stackTraceToString(),
        )
        for ((what, text) in texts) {
            assertNoSecret(text, what)
            assertTrue(text.contains("<redacted>"), "$what: $text")
        }
        // What is not secret still shows, and the presence of a key does.
        assertTrue(options.toString().contains("pk_test_visible") && options.toString().contains("coma_visible"), options.toString())
        assertTrue(options.toString().contains("api_key: Some(<redacted>)"), options.toString())
        assertTrue(options(apiKey = null, secretKey = null).toString().contains("api_key: None"))
        // The record is still plain data: fields readable, equal by value.
        assertEquals(apiKey, options.apiKey)
        assertEquals(options, options())
        assertEquals(options.hashCode(), options().hashCode())
    }

    @Test
    fun errorsShowNoKey() {
        // A refused configuration: the secret key is a public key, the API key is whitespace.
        val errors = listOf(
            assertThrows<PolypayException> { PayCoreClient(options(secretKey = "pk_test_KOTLIN_NEVER_SHOWN_9c1d")) },
            assertThrows<PolypayException> { PayCoreClient(options(apiKey = "$apiKey\n")) },
            assertThrows<PolypayException> { PayCoreClient(options().copy(timeout = Double.NaN)) },
            assertThrows<PolypayException> { PayCoreClient(options().copy(env = "sandbox", baseUrl = null)) },
            // Sent, and failed (nothing listens): the key was in the request headers.
            assertThrows<PolypayException> { runBlocking { PayCoreClient(options()).balances(timeout = 2.0) } },
        )
        for (e in errors) {
            for (text in listOf(e.toString(), e.message ?: "", e.details.toString(), e.stackTraceToString())) {
                assertNoSecret(text, e::class.simpleName!!)
            }
        }
    }

    @Test
    fun anUnknownEnvNamesTheValidOnesAndTheBaseUrl() {
        val e = assertThrows<PolypayException.InvalidInput> { PayCoreClient(ClientOptions(env = "sandbox")) }
        assertEquals("unknown_environment", e.details.code)
        assertEquals("env", e.details.argument)
        for (name in listOf("\"paycore\"", "\"corefy\"", "\"paymega\"", "base URL")) {
            assertTrue(e.details.msg.contains(name), e.details.msg)
        }
        assertThrows<PolypayException.InvalidInput> { paycoreHppUrl("""{"public_key":"pk_test_x","amount":"1","currency":"USD"}""", env = "sandbox") }
        assertTrue(paycoreHppUrl("""{"public_key":"pk_test_x","amount":"1","currency":"USD"}""", env = "paymega").startsWith("https://api.paymega.io/hpp/"))
    }

    private val badTimes = listOf(
        Double.NaN, -1.0, -0.0, 0.0, 1e-300, Double.MIN_VALUE, 86_400.5, 1e19, 1e300, Double.MAX_VALUE,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
    )

    private fun assertInvalidTime(argument: String, value: Double, call: () -> Unit) {
        val e = try {
            call()
            throw AssertionError("$argument = $value was accepted")
        } catch (e: PolypayException) {
            e
        }
        assertTrue(e is PolypayException.InvalidInput, "$argument = $value: ${e.details}")
        assertEquals("invalid_timeout", e.details.code, "$argument = $value")
        assertEquals(argument, e.details.argument, "$argument = $value")
        assertEquals(null, e.details.httpStatus)
    }

    @Test
    fun unusableTimesAreInvalidInputNeverACrash() {
        for (value in badTimes) {
            assertInvalidTime("timeout", value) { PayCoreClient(options().copy(timeout = value)) }
            assertInvalidTime("request_timeout", value) { PayCoreClient(options().copy(requestTimeout = value)) }
            assertInvalidTime("connect_timeout", value) { PayCoreClient(options().copy(connectTimeout = value)) }
        }
        val client = PayCoreClient(options())
        for (value in badTimes) {
            runBlocking {
                assertInvalidTime("timeout", value) { runBlocking { client.balances(timeout = value) } }
                assertInvalidTime("timeout", value) { runBlocking { client.getPaymentInvoice("cpi_1", timeout = value) } }
                assertInvalidTime("timeout", value) {
                    runBlocking { client.createPaymentInvoice("""{"service":"s","amount":"1.00","currency":"USD"}""", timeout = value) }
                }
            }
        }
        // Usable times still work (the call reaches the network and fails there).
        PayCoreClient(options().copy(timeout = 86_400.0, requestTimeout = 1e-9, connectTimeout = 0.5))
        assertThrows<PolypayException.Connection> { runBlocking { client.balances(timeout = 2.0) } }
    }
}
