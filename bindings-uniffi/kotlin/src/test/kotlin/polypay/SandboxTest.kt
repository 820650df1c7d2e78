package polypay

import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.math.BigDecimal
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.time.Instant
import java.util.UUID
import java.util.concurrent.TimeUnit

/** Flows against `polypay sandbox` (the CLI binary from the `polypay.cli` system property). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxTest {
    private lateinit var process: Process
    private lateinit var baseUrl: String
    private lateinit var keys: JsonObject
    private val http = HttpClient.newHttpClient()

    @BeforeAll
    fun start() {
        val cli = System.getProperty("polypay.cli") ?: "../../target/debug/polypay"
        process = ProcessBuilder(cli, "sandbox", "--port", "0", "--print-config", "--seed", "7")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val line = process.inputStream.bufferedReader().readLine() ?: error("the sandbox did not start")
        val config = Json.parseToJsonElement(line).jsonObject
        baseUrl = config.str("base_url")!!
        keys = config["paycore"]!!.jsonObject
    }

    @AfterAll
    fun stop() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly()
    }

    @AfterEach
    fun clearFaults() {
        admin("DELETE", "/faults")
    }

    private fun admin(method: String, path: String, json: String? = null): String {
        val body = if (json == null) HttpRequest.BodyPublishers.noBody() else HttpRequest.BodyPublishers.ofString(json)
        val request = HttpRequest.newBuilder(URI.create("$baseUrl/__sandbox$path"))
            .method(method, body)
            .header("content-type", "application/json")
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() < 300) { "admin $method $path: ${response.statusCode()}" }
        return response.body()
    }

    private fun fault(rule: String) {
        admin("POST", "/faults", rule)
    }

    private fun client(apiKey: String? = null, maxRetries: UInt = 2u) = PayCoreClient(
        ClientOptions(
            baseUrl = baseUrl,
            publicKey = keys.str("public_key_test"),
            accountId = keys.str("account_id"),
            apiKey = apiKey ?: keys.str("api_key"),
            secretKey = keys.str("secret_key_test"),
            maxRetries = maxRetries,
        ),
    )

    private fun ref() = "kt-" + UUID.randomUUID().toString().replace("-", "").take(16)

    private fun fields(reference: String? = null, service: String = "test_usd_test", amount: String = "\"100.55\""): String {
        val ref = if (reference == null) "" else ""","reference_id":"$reference""""
        return """{"service":"$service","amount":$amount,"currency":"USD","service_fields":{"status":"success"}$ref}"""
    }

    @Test
    fun paymentInvoiceLifecycle() = runBlocking<Unit> {
        val client = client()
        val reference = ref()
        val invoice = client.createPaymentInvoice(fields(reference))
        assertTrue(invoice.id.startsWith("cpi_"))
        assertEquals(PaymentInvoiceStatus.Processed, invoice.status)
        assertTrue(invoice.isFinal && invoice.isSuccess)
        assertEquals(BigDecimal("100.55"), invoice.amount)
        assertEquals(reference, invoice.referenceId)
        assertEquals(201, invoice.response!!.httpStatus.toInt())
        assertFalse(invoice.response!!.reconciled)
        assertEquals(invoice.id, Json.parseToJsonElement(invoice.rawJson).jsonObject.str("id"))

        val got = client.getPaymentInvoice(invoice.id)
        assertEquals(invoice.id, got.id)
        assertEquals(200, got.response!!.httpStatus.toInt())
        assertTrue(Duration.between(got.created!!, Instant.now()).abs() < Duration.ofHours(1)) // a java.time.Instant
        assertEquals(invoice.id, client.findPaymentInvoice(reference)?.id)
        assertNull(client.findPaymentInvoice("no-such-$reference"))
        assertEquals(listOf(invoice.id), client.listPaymentInvoices(referenceId = reference).toList().map { it.id })

        val refund = client.refundPaymentInvoice(invoice.id, RefundRequest(amount = BigDecimal("10.05")))
        assertEquals(BigDecimal("10.05"), refund.amount)
        val gotRefund = client.getRefund(refund.id)
        assertEquals(invoice.id, gotRefund.originalId)
        assertEquals(200, gotRefund.response!!.httpStatus.toInt())
        assertEquals(listOf(refund.id), client.listRefunds(referenceId = refund.referenceId).toList().map { it.id })
        assertEquals(invoice.id, client.getPaymentInvoicePublic(invoice.id).id)
    }

    @Test
    fun sameReferenceIdNeverDoubles() = runBlocking<Unit> {
        val client = client()
        val reference = ref()
        val first = client.createPaymentInvoice(fields(reference))
        val second = client.createPaymentInvoice(fields(reference))
        assertEquals(first.id, second.id)
        assertTrue(second.response!!.reconciled)
    }

    @Test
    fun listWithLimit() = runBlocking<Unit> {
        val client = client()
        repeat(5) { client.createPaymentInvoice(fields()) }
        val items = client.listPaymentInvoices(pageSize = 2u).take(5).toList()
        assertEquals(5, items.map { it.id }.toSet().size)
        // Lazy: one item of one-item pages is one page, whatever the list's length.
        assertEquals(1, client.listPaymentInvoices(pageSize = 1u).take(1).toList().size)
    }

    @Test
    fun payouts() = runBlocking<Unit> {
        val client = client()
        val reference = ref()
        val payout = client.createPayoutInvoice(
            PayoutInvoiceRequest(
                service = "test_usd", amount = BigDecimal("12.50"), currency = "USD",
                fields = mapOf("account" to "12345"), referenceId = reference,
            ),
        )
        assertTrue(payout.id.startsWith("cpoi_"))
        assertEquals(0, BigDecimal("12.5").compareTo(payout.amount))
        assertEquals(payout.id, client.getPayoutInvoice(payout.id).id)
        assertEquals(payout.id, client.findPayoutInvoice(reference)?.id)
        assertEquals(listOf(payout.id), client.listPayoutInvoices(referenceId = reference).toList().map { it.id })
        assertEquals(payout.id, client.getPayoutInvoicePublic(payout.id).id)
    }

    @Test
    fun publicApiServicesBalances() = runBlocking<Unit> {
        val client = client()
        assertTrue(client.paymentPrerequest("""{"currency":"USD","amount":"10"}""").services.isNotEmpty())
        assertTrue(client.payoutPrerequest("""{"currency":"USD","amount":"10"}""").services.isNotEmpty())
        assertTrue(client.paymentPrerequest(PrerequestRequest(currency = "USD", amount = BigDecimal("10"))).services.isNotEmpty())
        // A typed field given again in extraJson, and a bad amount, are refused before sending.
        val twice = assertThrows<PolypayException.InvalidInput> {
            runBlocking { client.createPaymentInvoice(PaymentInvoiceRequest("test_usd_test", BigDecimal("1"), "USD", extraJson = """{"currency":"EUR"}""")) }
        }
        assertEquals("extra_json.currency", twice.details.argument)
        val decimals = assertThrows<PolypayException.InvalidInput> {
            runBlocking { client.createPaymentInvoice(PaymentInvoiceRequest("test_usd_test", BigDecimal("1.001"), "USD")) }
        }
        assertEquals("too_many_decimals", decimals.details.code)
        val public = client.createPaymentInvoicePublic(fields(amount = "5"))
        assertTrue(public.id.startsWith("cpi_"))
        val services = client.listPaymentServices().take(3).toList()
        assertTrue(services.isNotEmpty())
        assertEquals(services[0].id, client.getPaymentService(services[0].id).id)
        val payoutServices = client.listPayoutServices(pageSize = 1u).toList()
        assertTrue(payoutServices.size > 1)
        assertEquals(payoutServices[0].id, client.getPayoutService(payoutServices[0].id).id)
        assertTrue(client.balances().currencies.isNotEmpty())
        assertEquals("test", client.mode())
    }

    @Test
    fun publicClientHoldsOnlyThePublicKey() = runBlocking<Unit> {
        val app = PublicPayCoreClient(PublicClientOptions(publicKey = keys.str("public_key_test")!!, baseUrl = baseUrl))
        assertEquals(baseUrl, app.baseUrl())
        assertTrue(app.paymentPrerequest("""{"currency":"USD","amount":"10"}""").services.isNotEmpty())
        val invoice = app.createPaymentInvoicePublic(fields(amount = "7"))
        assertTrue(invoice.id.startsWith("cpi_"))
        assertEquals(invoice.id, app.getPaymentInvoicePublic(invoice.id).id)
        // The server's client sees the same invoice through the Private API.
        assertEquals(invoice.id, client().getPaymentInvoice(invoice.id).id)
        // What an app must never hold is not even a parameter of its options.
        val names = PublicClientOptions::class.java.declaredFields.map { it.name }
        assertFalse(names.any { it.contains("apiKey") || it.contains("secretKey") || it.contains("accountId") }, names.toString())
    }

    private inline fun <reified T : PolypayException> expect(noinline call: suspend () -> Unit): T {
        val e = runBlocking<PolypayException?> {
            try {
                call()
                null
            } catch (e: PolypayException) {
                e
            }
        } ?: throw AssertionError("expected ${T::class.simpleName}")
        assertTrue(e is T, "expected ${T::class.simpleName}, got ${e.details}")
        return e as T
    }

    @Test
    fun errors() {
        val client = client()
        val noRetry = client(maxRetries = 0u)
        val auth = expect<PolypayException.Authentication> { client(apiKey = "wrong_key").balances() }
        assertEquals(401, auth.details.httpStatus)
        assertNotNull(auth.details.body)

        val nf = expect<PolypayException.NotFound> { client.getPaymentInvoice("cpi_doesnotexist") }
        assertEquals(404, nf.details.httpStatus)
        assertFalse(nf.details.retryable)

        val validation = expect<PolypayException.Validation> { client.createPaymentInvoice(fields(service = "no_such_service")) }
        assertTrue(validation.details.httpStatus in listOf(400, 422))
        assertTrue(validation.details.fields.isNotEmpty())

        fault("""{"route":"GET /api/account/balances","effect":{"status":429,"retry_after":1}}""")
        val rl = expect<PolypayException.RateLimited> { noRetry.balances() }
        assertEquals(1.0, rl.details.retryAfterSeconds)
        assertTrue(rl.details.retryable)
        clearFaults()

        fault("""{"route":"GET /api/account/balances","effect":{"status":503}}""")
        val server = expect<PolypayException.Server> { noRetry.balances() }
        assertEquals(503, server.details.httpStatus)
        assertFalse(server.details.outcomeUnknown)
        clearFaults()

        fault("""{"route":"GET /api/account/balances","effect":{"delay_ms":3000}}""")
        expect<PolypayException.Timeout> { noRetry.balances(timeout = 0.3) }
        clearFaults()

        fault("""{"route":"GET /api/account/balances","effect":"reset"}""")
        expect<PolypayException.Connection> { noRetry.balances() }
        clearFaults()

        fault("""{"route":"POST /api/payment-invoices","effect":{"status":409}}""")
        val conflict = expect<PolypayException.Conflict> { noRetry.createPaymentInvoice(fields()) }
        assertEquals(409, conflict.details.httpStatus)
        assertNotNull(conflict.details.referenceId)
        clearFaults()

        val bad = expect<PolypayException.InvalidInput> { client.createPaymentInvoice("""{"service":"test_usd_test","amount":"x","currency":"USD"}""") }
        assertNull(bad.details.httpStatus)
        expect<PolypayException.InvalidInput> { client.getPaymentInvoice("cpi_1", timeout = -1.0) }
        expect<PolypayException.InvalidInput> { client.createPaymentInvoice("not json") }
    }

    @Test
    fun hundredConcurrentSuspendCalls() = runBlocking<Unit> {
        val client = client()
        val invoice = client.createPaymentInvoice(fields())
        val results = (1..100).map { async { client.getPaymentInvoice(invoice.id).id } }.awaitAll()
        assertEquals(List(100) { invoice.id }, results)
    }

    @Test
    fun callbackWithClientSecret() {
        val client = client()
        val body = """{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"processed","resolution":"ok","amount":1,"currency":"USD"}}}""".toByteArray()
        val signature = paycoreSignCallback(body, keys.str("secret_key_test")!!)
        val event = client.verifyCallback(body, signature)
        assertEquals("cpi_1", event.id)
        val invoice = (event.invoice as CallbackInvoice.Payment).invoice
        assertEquals(PaymentInvoiceStatus.Processed, invoice.status)
        assertEquals(Resolution.Ok, invoice.resolution)
        // A status this version does not know is kept, not refused.
        val newer = String(body).replace("processed", "brand_new_status").toByteArray()
        val later = client.verifyCallback(newer, paycoreSignCallback(newer, keys.str("secret_key_test")!!))
        val unknown = (later.invoice as CallbackInvoice.Payment).invoice
        assertEquals(PaymentInvoiceStatus.Other("brand_new_status"), unknown.status)
        assertEquals("brand_new_status processed", "${unknown.status} ${invoice.status}")
        assertEquals("brand_new_status", later.status)
        assertFalse(later.isFinal)
        expect<PolypayException.Signature> { client.verifyCallback(body, paycoreSignCallback(body, "sk_test_other")) }
    }
}
