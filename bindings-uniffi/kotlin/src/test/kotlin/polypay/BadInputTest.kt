package polypay

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.DynamicTest.dynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.IOException
import java.io.InputStream
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel
import java.util.concurrent.atomic.AtomicBoolean

/**
 * The shared bad-input table (tests/bad-input/cases.json, next to tests/vectors): each case throws
 * its documented [PolypayException] variant and code, sends nothing to a local listener that
 * stands in for the gateway (a case with a `server` answer: exactly one request, answered with
 * that canned response), and shows no secret. Parameters cross as JSON text, so the special
 * inputs (float lexemes, NaN, 10,000-deep nesting) are written as text; timeouts are seconds
 * (Double), a `$float` lexeme read with `toDouble()`.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    private val table: JsonObject = Json.parseToJsonElement(
        File(File(System.getProperty("polypay.vectors") ?: "../../tests/vectors"), "../bad-input/cases.json").readText(),
    ).jsonObject

    /** Accepts connections and never answers; what reached it is counted. */
    private val listener: ServerSocketChannel = ServerSocketChannel.open().apply {
        bind(InetSocketAddress("127.0.0.1", 0))
        configureBlocking(false)
    }
    private val listenerUrl = "http://127.0.0.1:${(listener.localAddress as InetSocketAddress).port}"

    private fun connections(): Int {
        var n = 0
        while (true) {
            val channel = listener.accept() ?: return n
            channel.close()
            n++
        }
    }

    /**
     * Until [finish], answers each connection's request with a case's `server` status and JSON
     * body (`Connection: close`, so connections are requests), and counts them.
     */
    private inner class Answering(server: JsonObject) {
        private val response: ByteArray
        private val stop = AtomicBoolean(false)

        @Volatile private var served = 0
        private val thread: Thread

        init {
            val body = server["body"]!!.toString().toByteArray()
            response = (
                "HTTP/1.1 ${server["status"]!!.jsonPrimitive.int} Canned\r\nContent-Type: application/json\r\n" +
                    "Content-Length: ${body.size}\r\nConnection: close\r\n\r\n"
                ).toByteArray() + body
            thread = Thread {
                while (!stop.get()) {
                    val channel = listener.accept()
                    if (channel == null) {
                        Thread.sleep(5)
                        continue
                    }
                    // The accepted channel is blocking, whatever the listener's mode.
                    channel.socket().use { socket ->
                        socket.soTimeout = 5000
                        readRequest(socket.getInputStream())
                        socket.getOutputStream().write(response)
                        socket.shutdownOutput()
                    }
                    served++
                }
            }.apply { isDaemon = true; start() }
        }

        /** Stops answering; the number of requests answered. */
        fun finish(): Int {
            stop.set(true)
            thread.join()
            return served
        }
    }

    /** Reads one request (head and `Content-Length` body), so that closing after the answer does
     * not reset the connection under unread bytes. */
    private fun readRequest(input: InputStream) {
        val data = ByteArrayOutputStream()
        val chunk = ByteArray(4096)
        while (true) {
            val text = String(data.toByteArray(), Charsets.ISO_8859_1)
            val end = text.indexOf("\r\n\r\n")
            if (end >= 0) {
                val length = Regex("(?im)^content-length:\\s*(\\d+)").find(text.substring(0, end))?.groupValues?.get(1)?.toInt() ?: 0
                if (text.length >= end + 4 + length) return
            }
            val n = try { input.read(chunk) } catch (e: IOException) { return }
            if (n <= 0) return
            data.write(chunk, 0, n)
        }
    }

    @AfterAll
    fun close() = listener.close()

    private fun deepText(depth: Int) = "{\"a\":".repeat(depth) + "\"x\"" + "}".repeat(depth)

    /** JSON text of an input value, with the special tags as raw lexemes. */
    private fun jsonText(v: JsonElement): String = when {
        v is JsonObject && "\$float" in v -> v.str("\$float")!!
        v is JsonObject && "\$nan" in v -> "NaN"
        v is JsonObject && "\$deep" in v -> deepText(v["\$deep"]!!.jsonPrimitive.content.toInt())
        v is JsonObject -> v.entries.joinToString(",", "{", "}") { (k, x) -> JsonPrimitive(k).toString() + ":" + jsonText(x) }
        v is JsonArray -> v.joinToString(",", "[", "]") { jsonText(it) }
        else -> v.toString()
    }

    /** Body bytes. A `$parsed` body is what a typed program can pass instead of the raw bytes:
     * the document parsed and written back (kotlinx.serialization). */
    private fun body(v: JsonElement): ByteArray {
        if (v is JsonPrimitive) return v.content.toByteArray()
        val o = v.jsonObject
        o.str("\$bytes_hex")?.let { hex -> return hex.chunked(2).map { it.toInt(16).toByte() }.toByteArray() }
        o.str("\$repeat")?.let { return it.repeat(o["count"]!!.jsonPrimitive.content.toInt()).toByteArray() }
        o["\$deep"]?.let { return deepText(it.jsonPrimitive.content.toInt()).toByteArray() }
        o.str("\$parsed")?.let { return Json.parseToJsonElement(it).toString().toByteArray() }
        error("unknown body $v")
    }

    /** A string argument; `$lone_surrogate` appends an unpaired surrogate (not valid Unicode). */
    private fun JsonObject.text(key: String): String? = (this[key] as? JsonObject)?.str("\$lone_surrogate")?.let { it + "\uDCFF" } ?: str(key)

    /** Seconds: a plain number, or a `$float` lexeme (`1e300`, `NaN`). */
    private fun seconds(v: JsonElement): Double = (v as? JsonObject)?.str("\$float")?.toDouble() ?: v.jsonPrimitive.content.toDouble()

    private fun client(options: JsonObject): PayCoreClient {
        val base = options.str("base_url") ?: if (options.str("env") == null) listenerUrl else null
        // Were anything sent, the call would end quickly and the connection be counted; a case's
        // own timeouts win.
        return PayCoreClient(
            ClientOptions(
                publicKey = options.str("public_key"), accountId = options.str("account_id"),
                apiKey = options.str("api_key"), secretKey = options.str("secret_key"),
                env = options.str("env"), baseUrl = base,
                timeout = options["timeout"]?.let(::seconds) ?: 2.0,
                requestTimeout = options["request_timeout"]?.let(::seconds) ?: 1.0,
                connectTimeout = options["connect_timeout"]?.let(::seconds) ?: ClientOptions().connectTimeout,
                maxRetries = 0u,
            ),
        )
    }

    private fun run(case: JsonObject) {
        val i = case["input"]!!.jsonObject
        val op = case.str("operation")!!
        fun json(key: String) = jsonText(i[key]!!)
        // A per-call timeout (seconds): this call's deadline.
        val timeout = i["timeout"]?.let(::seconds)
        val withDefaults by lazy {
            client(JsonObject(table["client_defaults"]!!.jsonObject + (i["client"]?.jsonObject ?: JsonObject(emptyMap()))))
        }
        runBlocking {
            when (op) {
                "client.new" -> client(i["options"]!!.jsonObject)
                "client.create_payment_invoice" -> withDefaults.createPaymentInvoice(json("request"), timeout)
                "client.refund_payment_invoice" -> withDefaults.refundPaymentInvoice(i.str("id")!!, json("request"), timeout)
                "client.payment_prerequest" -> withDefaults.paymentPrerequest(json("request"), timeout)
                "client.get_payment_invoice" -> withDefaults.getPaymentInvoice(i.str("id")!!, timeout)
                "paycore.verify_callback" -> paycoreVerifyCallback(body(i["body"]!!), i.text("signature")!!, i.text("secret")!!)
                "paycore.hpp_url" -> paycoreHppUrl(json("params"), i.str("env"), i.str("base_url"))
                "paycore.hpp_form" -> paycoreHppForm(json("params"), i.str("env"), i.str("base_url"), "Pay")
                "ecommpay.verify_callback" -> ecommpayVerifyCallback(body(i["body"]!!), i.text("secret")!!)
                "ecommpay.sign" -> ecommpaySign(json("params"), i.text("secret")!!)
                "ecommpay.gate", "ecommpay.gate.payment_page_url" -> {
                    val gate = EcommpayGate(i["project_id"]!!.jsonPrimitive.long, i.text("secret_key")!!, i.str("base_url"))
                    if (op == "ecommpay.gate.payment_page_url") gate.paymentPageUrl(json("payment"))
                }
                else -> error("unknown operation $op")
            }
            Unit
        }
    }

    private fun expected(case: JsonObject): JsonObject =
        JsonObject(case["expect"]!!.jsonObject + (case["kotlin"]?.jsonObject ?: JsonObject(emptyMap())))

    @TestFactory
    fun badInputTable(): List<DynamicTest> {
        val cases = table["cases"]!!.jsonArray.map { it.jsonObject }
        assertTrue(cases.size >= 25)
        val secrets = table["secrets"]!!.jsonArray.map { it.jsonPrimitive.content }
        return cases.map { case ->
            dynamicTest(case.str("id")!!) {
                val want = expected(case)
                want.str("exception")?.let { name ->
                    // Refused by the generated uniffi layer itself, before any call.
                    val e = assertThrows<Throwable>(case.str("id")!!) { run(case) }
                    assertEquals(name, e::class.java.name)
                    secrets.forEach { assertFalse("$e ${e.message}".contains(it), "the error shows $it") }
                    assertEquals(0, connections(), "a bad input reached the gateway")
                    return@dynamicTest
                }
                // A case with a `server` answer gets it; every other case is met with silence.
                var served = 0
                val answering = case["server"]?.jsonObject?.let { Answering(it) }
                val e = try {
                    assertThrows<PolypayException>(case.str("id")!!) { run(case) }
                } finally {
                    answering?.finish()?.let { served = it }
                }
                val d = e.details
                // The variant is the kind: PolypayException.InvalidInput for invalid_input, ...
                val variant = want.str("kind")!!.split('_').joinToString("") { w -> w.replaceFirstChar { it.uppercase() } }
                assertEquals(variant, e::class.simpleName, d.msg)
                assertEquals(want.str("kind"), d.kind, d.msg)
                assertEquals(want.str("code"), d.code, d.msg)
                want.str("argument")?.let { assertEquals(it, d.argument, d.msg) }
                val shown = "$e ${e.message} $d"
                secrets.forEach { assertFalse(shown.contains(it), "the error shows $it") }
                // `sends: true`: exactly one request (the create, never sent again after the 409).
                val sends = want["sends"]?.jsonPrimitive?.content == "true"
                assertEquals(if (sends) 1 else 0, served + connections(), if (sends) "one request must reach the gateway" else "a bad input reached the gateway")
            }
        }
    }

    @Test
    fun theListenerCountsARequestThatIsSent() {
        val client = client(table["client_defaults"]!!.jsonObject)
        assertThrows<PolypayException.Timeout> { runBlocking { client.getPaymentInvoice("cpi_BADINPUT") } }
        assertEquals(1, connections())
    }
}
