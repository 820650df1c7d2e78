// Gate fault-campaign driver for the Kotlin package: `java ... polypay.reliability.GateDriverKt
// CONFIG OUT`. Sends the plan's refunds and payouts through EcommpayGateApi with `concurrency`
// coroutines and records every call's outcome (see tests/reliability/gate_campaign.py).
package polypay.reliability

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.sync.Semaphore
import kotlinx.coroutines.sync.withPermit
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.double
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import kotlinx.serialization.json.put
import polypay.EcommpayGateApi
import polypay.GateApiOptions
import polypay.PolypayException
import polypay.details
import polypay.payout
import polypay.refund
import java.io.File

fun main(args: Array<String>) = runBlocking {
    val cfg = Json.parseToJsonElement(File(args[0]).readText()).jsonObject
    val num = { key: String -> cfg[key]!!.jsonPrimitive }
    val gate = EcommpayGateApi(
        GateApiOptions(
            projectId = num("project_id").long,
            secretKey = num("secret_key").content,
            baseUrl = num("base_url").content,
            timeout = num("deadline_s").double,
            requestTimeout = num("request_timeout_s").double,
            maxRetries = num("max_retries").int.toUInt(),
            statusDelay = num("status_delay_s").double,
        ),
    )
    val limit = Semaphore(num("concurrency").int)
    val plan = cfg["plan"]!!.jsonArray.map { it.jsonObject }
    val calls = plan.mapIndexed { i, item ->
        async(Dispatchers.Default) {
            limit.withPermit {
                val started = System.nanoTime()
                val request = item["request"]!!.toString()
                val outcome = try {
                    val accepted = if (item["kind"]!!.jsonPrimitive.content == "refund") gate.refund(request) else gate.payout(request)
                    buildJsonObject { put("ok", true); put("reconciled", accepted.reconciled) }
                } catch (e: PolypayException) {
                    val d = e.details
                    buildJsonObject {
                        put("ok", false)
                        put("error", buildJsonObject {
                            put("kind", d.kind); put("code", d.code); put("outcome_unknown", d.outcomeUnknown)
                            put("payment_id", d.paymentId); put("message", d.msg.take(300))
                        })
                    }
                }
                buildJsonObject {
                    put("i", i)
                    put("duration_ms", (System.nanoTime() - started) / 1e6)
                    outcome.forEach { (k, v) -> put(k, v) }
                }
            }
        }
    }.awaitAll()
    File(args[1]).writeText(buildJsonObject { put("client", "kotlin"); put("calls", JsonArray(calls)) }.toString())
}
