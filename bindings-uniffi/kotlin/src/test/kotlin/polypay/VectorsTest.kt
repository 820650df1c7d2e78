package polypay

import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.DynamicTest.dynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows
import java.util.Base64

/** The tests/vectors files: one dynamic test per case. Params cross as their exact `params_json`. */
class VectorsTest {
    private fun each(file: String, cases: List<JsonObject> = Vectors.cases(file), body: (JsonObject) -> Unit): List<DynamicTest> =
        cases.map { c -> dynamicTest("$file ${c.str("id")}") { body(c) } }

    @TestFactory
    fun ecommpaySign() = each("ecommpay_sign.json") { c ->
        val params = c.str("params_json")!!
        assertEquals(c.str("string_to_sign"), ecommpayStringToSign(params))
        assertEquals(c.str("signature"), ecommpaySign(params, c.str("secret")!!))
    }

    /** Gate request bodies sign as the official Python SDK signed them, and verify. */
    @TestFactory
    fun ecommpayGate(): List<DynamicTest> {
        val file = Vectors.file("ecommpay_gate.json")
        val secret = file.str("secret")!!
        return each("ecommpay_gate.json") { c ->
            val body = c["body"]!!.jsonObject
            val general = body["general"]?.jsonObject
            val expected = (general ?: body).str("signature")
            val unsigned = if (general != null) {
                JsonObject(body + ("general" to JsonObject(general - "signature")))
            } else {
                JsonObject(body - "signature")
            }
            assertEquals(expected, ecommpaySign(unsigned.toString(), secret))
            assertEquals(general?.str("payment_id"), ecommpayVerifyCallback(body.toString().toByteArray(), secret).paymentId)
        }
    }

    @TestFactory
    fun ecommpayUrl() = each("ecommpay_url.json") { c ->
        val url = ecommpayPaymentPageUrl(c.str("params_json")!!, c.str("secret")!!, c.str("base_url"))
        assertEquals(c.str("url"), url)
    }

    @Test
    fun bestBeforeIsWrittenAsPhpDateC() {
        assertEquals("2030-01-02T03:04:05+00:00", ecommpayBestBefore(java.time.Instant.parse("2030-01-02T03:04:05.999Z")))
    }

    @TestFactory
    fun ecommpayCallback() = each("ecommpay_callback.json") { c ->
        val body = c.str("body")!!.toByteArray()
        if (c.bool("valid") == true) {
            val cb = ecommpayVerifyCallback(body, c.str("secret")!!)
            assertEquals(c.str("payment_id"), cb.paymentId)
            assertEquals(c.str("payment_status"), cb.paymentStatus)
            if (c.str("id") == "cb-success") {
                assertEquals(listOf("531234******4321", "c0ffee12ab", "card", "usr-55913"),
                    listOf(cb.cardMask, cb.cardToken, cb.paymentMethod, cb.customerId))
                assertNull(cb.recurringId)
            }
        } else {
            val e = assertThrows<PolypayException> { ecommpayVerifyCallback(body, c.str("secret")!!) }
            assertEquals(c.str("error"), e.details.kind, e.details.msg)
        }
    }

    @TestFactory
    fun ecommpayNatsort() = each("ecommpay_natsort.json") { c ->
        val cmp = ecommpayNatcmp(c.str("a")!!.toByteArray(), c.str("b")!!.toByteArray())
        assertEquals(c["cmp"]!!.jsonPrimitive.content.toInt(), cmp)
    }

    @TestFactory
    fun phpFloat() = each("php_float.json") { c ->
        assertEquals(c.str("php_string"), ecommpayPhpFloat(c.str("json_lexeme")!!.toDouble()))
    }

    @TestFactory
    fun paycoreSignature(): List<DynamicTest> {
        val file = Vectors.file("paycore_signature.json")
        val cases = each("paycore_signature.json") { c ->
            val body = c.str("body")?.toByteArray() ?: Base64.getDecoder().decode(c.str("body_base64")!!)
            val secret = c.str("secret")!!
            assertEquals(c.str("signature"), paycoreSignCallback(body, secret))
            for (v in c.arr("verify")!!) {
                val check = v.jsonObject
                val signature = check.str("signature")!!
                if (check.bool("valid") == true) {
                    paycoreVerifySignature(body, signature, secret)
                } else {
                    val e = assertThrows<PolypayException> { paycoreVerifySignature(body, signature, secret) }
                    assertEquals("signature", e.details.kind)
                    assertEquals(check.str("error"), e.details.code, signature)
                }
            }
        }
        val secrets = file["secret_errors"]!!.jsonArray.map { it.jsonObject }.map { s ->
            dynamicTest("paycore_signature.json secret ${s.str("error")}") {
                val e = assertThrows<PolypayException> { paycoreSignCallback("{}".toByteArray(), s.str("secret")!!) }
                assertEquals(s.str("error"), e.details.code)
            }
        }
        return cases + secrets
    }

    @TestFactory
    fun paycoreCallback() = each("paycore_callback.json") { c ->
        val body = c.str("body")!!.toByteArray()
        val error = c.str("error")
        if (error == null) {
            val event = paycoreVerifyCallback(body, c.str("signature")!!, c.str("secret")!!)
            val expected = c["expected"]!!.jsonObject
            assertEquals(expected.str("type"), event.eventType)
            assertEquals(expected.str("id"), event.id)
            expected.str("status")?.let { assertEquals(it, event.status) }
            expected.bool("is_final")?.let { assertEquals(it, event.isFinal) }
            expected.bool("is_success")?.let { assertEquals(it, event.isSuccess) }
            val invoice = (event.invoice as? CallbackInvoice.Payment)?.invoice
            if (invoice != null) {
                expected.str("amount")?.let { assertEquals(0, it.toBigDecimal().compareTo(invoice.amount!!)) }
                expected.str("currency")?.let { assertEquals(it, invoice.currency) }
                expected.str("reference_id")?.let { assertEquals(it, invoice.referenceId) }
            }
        } else {
            val e = assertThrows<PolypayException> { paycoreVerifyCallback(body, c.str("signature")!!, c.str("secret")!!) }
            assertTrue(error == e.details.kind || error == e.details.code, "expected $error, got ${e.details}")
        }
    }

    @TestFactory
    fun paycoreHpp(): List<DynamicTest> {
        val file = Vectors.file("paycore_hpp.json")
        val cases = each("paycore_hpp.json") { c ->
            val params = c.str("params_json")!!
            assertEquals(c.str("url"), paycoreHppUrl(params, c.str("env"), c.str("base_url")))
            val refusal = c["form_error"]?.jsonObject
            if (refusal != null) {
                val e = assertThrows<PolypayException> { paycoreHppForm(params, c.str("env"), c.str("base_url")) }
                assertEquals(refusal.str("argument"), e.details.argument, e.details.msg)
                return@each
            }
            val form = paycoreHppForm(params, c.str("env"), c.str("base_url"))
            val expected = c["form"]!!.jsonObject
            assertEquals(expected.str("action"), form.action)
            assertEquals(expected.str("method"), form.method)
            val fields = expected["fields"]!!.jsonArray.map { p -> p.jsonArray.let { it[0].jsonPrimitive.content to it[1].jsonPrimitive.content } }
            assertEquals(fields, form.fields.map { it.name to it.value })
            assertTrue(form.html.contains("<form"))
        }
        val errors = file["errors"]!!.jsonArray.map { it.jsonObject }.map { c ->
            dynamicTest("paycore_hpp.json ${c.str("id")}") {
                val e = assertThrows<PolypayException> { paycoreHppUrl(c.str("params_json")!!, c.str("env"), c.str("base_url")) }
                assertEquals(c.str("error"), e.details.kind, e.details.msg)
            }
        }
        return cases + errors
    }

    @TestFactory
    fun badInputs() = listOf(
        "not json" to { ecommpaySign("{", "secret") },
        "array, not object" to { ecommpaySign("[1,2]", "secret") },
        "hpp float money" to { paycoreHppUrl("""{"public_key":"pk_test_x","amount":1.5e400,"currency":"USD"}""") },
        "gate project_id" to { EcommpayGate(1L, "secret").paymentPageUrl("""{"project_id":2}""") },
    ).map { (name, call) ->
        dynamicTest("bad input: $name") {
            val e = assertThrows<PolypayException> { call() }
            assertTrue(e is PolypayException.InvalidInput, "$name: ${e.details}")
            assertNull(e.details.httpStatus)
        }
    }
}
