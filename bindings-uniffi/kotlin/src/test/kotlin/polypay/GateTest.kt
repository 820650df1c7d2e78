package polypay

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.util.UUID

/** The ecommpay Gate client against `polypay sandbox` over real HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GateTest {
    private val sandbox = Sandbox()
    private val gate = EcommpayGateApi(options())

    private fun options(secret: String = sandbox.ecommpay.str("secret_key")!!) = GateApiOptions(
        projectId = sandbox.ecommpay["project_id"]!!.jsonPrimitive.long,
        secretKey = secret,
        baseUrl = sandbox.ecommpay.str("gate_base_url"),
        timeout = 10.0,
        statusDelay = 0.1,
    )

    @AfterAll
    fun stop() = sandbox.close()

    @AfterEach
    fun clearFaults() {
        sandbox.admin("DELETE", "/faults")
    }

    private fun pid() = "kt-gate-" + UUID.randomUUID().toString().take(12)

    /** A payment made as on the Payment Page (the sandbox's shortcut); its callback document. */
    private fun paid(paymentId: String, extra: String = "") = Json.parseToJsonElement(
        sandbox.admin(
            "POST", "/ecommpay/payments",
            """{"payment_id": "$paymentId", "payment_amount": 1000, "payment_currency": "USD"$extra}""",
        ),
    ).jsonObject

    @Test
    fun `a refund is accepted then settled`() = runBlocking {
        val paymentId = pid()
        paid(paymentId)
        val accepted = gate.refund("""{"general": {"payment_id": "$paymentId"}, "payment": {"amount": 250, "currency": "USD"}}""")
        assertEquals(listOf("refund", paymentId, "false"), listOf(accepted.operation, accepted.paymentId, accepted.reconciled.toString()))
        assertNotNull(accepted.requestId)
        assertNotNull(accepted.merchantRefundId)
        val payment = gate.waitForResult(accepted)
        assertEquals("partially refunded", payment.status)
        assertTrue(payment.isFinal)
        val op = payment.operations.single { it.requestId == accepted.requestId }
        assertEquals(listOf("refund", "success"), listOf(op.operationType, op.status))
        assertEquals(EcommpaySum(250, "USD"), op.sumInitial)
        assertFalse(payment.rawJson.contains("signature"))
        val rest = gate.refund("""{"general": {"payment_id": "$paymentId"}}""")
        assertEquals("refunded", gate.waitForResult(rest).status)
    }

    @Test
    fun `capture, payouts by token and recurring charges`() = runBlocking {
        val held = pid()
        paid(held, """, "card_operation_type": "auth"""")
        assertEquals("awaiting capture", gate.paymentStatus("""{"general": {"payment_id": "$held"}}""").status)
        assertEquals("success", gate.waitForResult(gate.capture("""{"general": {"payment_id": "$held"}}""")).status)

        val first = paid(pid(), """, "recurring_register": 1""")
        val token = first["account"]!!.jsonObject.str("token")!!
        val recurringId = first["recurring"]!!.jsonObject.str("id")!!
        val payout = gate.payoutByToken("""{"general": {"payment_id": "${pid()}"}, "token": "$token", "payment": {"amount": 300, "currency": "USD"}}""")
        assertEquals("payout", gate.waitForResult(payout).paymentType)
        val charge = gate.recurringCharge("""{"general": {"payment_id": "${pid()}"}, "recurring": {"id": $recurringId}, "payment": {"amount": 1000, "currency": "USD"}}""")
        val charged = gate.waitForResult(charge)
        assertEquals(listOf("success", "recurring"), listOf(charged.status, charged.paymentType))
        assertEquals(EcommpaySum(1000, "USD"), charged.sum)
    }

    @Test
    fun `a payout committed before a 5xx is reconciled, not doubled`() = runBlocking {
        sandbox.admin("POST", "/faults", """{"route": "POST /v2/payment/card/payout", "nth": 1, "effect": {"status": 502, "commit": true}}""")
        val accepted = gate.payout("""{"general": {"payment_id": "${pid()}"}, "payment": {"amount": 700, "currency": "USD"}, "card": {"pan": "5519283812030000", "year": 2040, "month": 1}}""")
        assertTrue(accepted.reconciled)
        assertEquals(listOf("payout"), gate.waitForResult(accepted).operations.map { it.operationType })
    }

    @Test
    fun `errors carry the payment id and the outcome`() = runBlocking {
        val missing = assertThrows<PolypayException.NotFound> { runBlocking { gate.paymentStatus("""{"general": {"payment_id": "never-made"}}""") } }
        assertFalse(missing.details.outcomeUnknown)
        val paymentId = pid()
        paid(paymentId)
        val refused = assertThrows<PolypayException.Validation> {
            runBlocking { gate.refund("""{"general": {"payment_id": "$paymentId"}, "payment": {"amount": 5000, "currency": "USD"}}""") }
        }
        assertEquals(paymentId, refused.details.paymentId)
        sandbox.admin("POST", "/faults", """{"route": "POST /v2/payment", "effect": {"status": 503}}""")
        val unknown = assertThrows<PolypayException.Server> { runBlocking { gate.refund("""{"general": {"payment_id": "$paymentId"}}""", timeout = 1.0) } }
        assertEquals(paymentId, unknown.details.paymentId)
        assertTrue(unknown.details.outcomeUnknown)
    }

    @Test
    fun `bad requests are refused before sending, and the secret never shows`() = runBlocking {
        val semicolon = assertThrows<PolypayException.InvalidInput> {
            runBlocking { gate.refund("""{"general": {"payment_id": "p"}, "payment": {"description": "a;b"}}""") }
        }
        assertEquals(listOf("payment.description", "semicolon"), listOf(semicolon.details.argument, semicolon.details.code))
        val notJson = assertThrows<PolypayException.InvalidInput> { runBlocking { gate.refund("{") } }
        assertEquals("request", notJson.details.argument)
        assertThrows<PolypayException.InvalidInput> { EcommpayGateApi(options().copy(statusDelay = -1.0)) }
        val secret = "a-very-secret-key"
        assertFalse(options(secret).toString().contains(secret))
        val forged = EcommpayGateApi(options(secret))
        val e = assertThrows<PolypayException.Authentication> { runBlocking { forged.paymentStatus("""{"general": {"payment_id": "x"}}""") } }
        assertFalse(e.toString().contains(secret))
    }

    @Test
    fun `every Gate operation once, each settled`() = runBlocking {
        val held = pid()
        val released = pid()
        val paidId = pid()
        paid(held, """, "card_operation_type": "auth"""")
        paid(released, """, "card_operation_type": "auth"""")
        val first = paid(paidId, """, "recurring_register": 1, "customer_id": "c-9"""")
        val token = first["account"]!!.jsonObject.str("token")!!
        val recurringId = first["recurring"]!!.jsonObject.str("id")!!
        val usd = """"payment": {"amount": 100, "currency": "USD"}"""
        val writes = linkedMapOf(
            "capture" to gate.capture("""{"general": {"payment_id": "$held"}}"""),
            "cancel" to gate.cancel("""{"general": {"payment_id": "$released"}}"""),
            "refund" to gate.refund("""{"general": {"payment_id": "$paidId"}, $usd}"""),
            "payout" to gate.payout("""{"general": {"payment_id": "${pid()}"}, $usd, "card": {"pan": "5519283812030000", "year": 2040, "month": 1}}"""),
            "payout_by_token" to gate.payoutByToken("""{"general": {"payment_id": "${pid()}"}, $usd, "token": "$token"}"""),
            "recurring_charge" to gate.recurringCharge("""{"general": {"payment_id": "${pid()}"}, $usd, "recurring": {"id": $recurringId}}"""),
        )
        writes.forEach { (name, accepted) -> assertEquals(name, accepted.operation) }
        val final = writes.mapValues { (_, accepted) -> gate.waitForResult(accepted).status }
        assertEquals(
            mapOf(
                "capture" to "success", "cancel" to "canceled", "refund" to "partially refunded",
                "payout" to "success", "payout_by_token" to "success", "recurring_charge" to "success",
            ),
            final,
        )
        assertEquals(paidId, gate.requestStatus("""{"request_id": "${writes["refund"]!!.requestId}"}""").paymentId)
        assertEquals(listOf("sale", "refund"), gate.paymentStatus("""{"general": {"payment_id": "$paidId"}}""").operations.map { it.operationType })
    }
}
