package polypay

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
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
import java.io.File
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel

/**
 * The shared bad-input table (tests/bad-input/cases.json, next to tests/vectors): each case throws
 * its documented [PolypayException] variant and code, sends nothing to a local listener that
 * stands in for the gateway, and shows no secret. Parameters cross as JSON text, so the special
 * inputs (float lexemes, NaN, 10,000-deep nesting) are written as text.
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

    private fun client(options: JsonObject): PayCoreClient {
        val base = options.str("base_url") ?: if (options.str("env") == null) listenerUrl else null
        // Were anything sent, the call would end quickly and the connection be counted.
        return PayCoreClient(
            ClientOptions(
                publicKey = options.str("public_key"), accountId = options.str("account_id"),
                apiKey = options.str("api_key"), secretKey = options.str("secret_key"),
                env = options.str("env"), baseUrl = base,
                timeout = 2.0, requestTimeout = 1.0, maxRetries = 0u,
            ),
        )
    }

    private fun run(case: JsonObject) {
        val i = case["input"]!!.jsonObject
        val op = case.str("operation")!!
        fun json(key: String) = jsonText(i[key]!!)
        val withDefaults by lazy {
            client(JsonObject(table["client_defaults"]!!.jsonObject + (i["client"]?.jsonObject ?: JsonObject(emptyMap()))))
        }
        runBlocking {
            when (op) {
                "client.new" -> client(i["options"]!!.jsonObject)
                "client.create_payment_invoice" -> withDefaults.createPaymentInvoice(json("request"))
                "client.refund_payment_invoice" -> withDefaults.refundPaymentInvoice(i.str("id")!!, json("request"))
                "client.payment_prerequest" -> withDefaults.paymentPrerequest(json("request"))
                "client.get_payment_invoice" -> withDefaults.getPaymentInvoice(i.str("id")!!)
                "paycore.verify_callback" -> paycoreVerifyCallback(body(i["body"]!!), i.text("signature")!!, i.text("secret")!!)
                "paycore.hpp_url" -> paycoreHppUrl(json("params"), i.str("env"), i.str("base_url"))
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
                val e = assertThrows<PolypayException>(case.str("id")!!) { run(case) }
                val d = e.details
                // The variant is the kind: PolypayException.InvalidInput for invalid_input, ...
                val variant = want.str("kind")!!.split('_').joinToString("") { w -> w.replaceFirstChar { it.uppercase() } }
                assertEquals(variant, e::class.simpleName, d.msg)
                assertEquals(want.str("kind"), d.kind, d.msg)
                assertEquals(want.str("code"), d.code, d.msg)
                want.str("argument")?.let { assertEquals(it, d.argument, d.msg) }
                val shown = "$e ${e.message} $d"
                secrets.forEach { assertFalse(shown.contains(it), "the error shows $it") }
                assertEquals(0, connections(), "a bad input reached the gateway")
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
