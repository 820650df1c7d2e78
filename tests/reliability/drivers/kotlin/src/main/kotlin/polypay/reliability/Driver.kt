// Fault-campaign driver for the Kotlin package: `java ... polypay.reliability.DriverKt CONFIG OUT`.
// Runs the plan of creates from CONFIG (see tests/reliability/README.md) through PayCoreClient
// with `concurrency` coroutines, records every call's outcome and duration, snapshots the
// sandbox's statistics, then settles each outcomeUnknown error by looking its reference_id up
// with the same client. Writes the result JSON to OUT.
package polypay.reliability

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.sync.Semaphore
import kotlinx.coroutines.sync.withPermit
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.double
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import polypay.ClientOptions
import polypay.PayCoreClient
import polypay.PolypayException
import polypay.createPaymentInvoice
import polypay.createPayoutInvoice
import polypay.details
import polypay.findPaymentInvoice
import polypay.findPayoutInvoice
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse

private fun JsonObject.str(key: String) = this[key]!!.jsonPrimitive.content

/** One create: the invoice's id, status and `reconciled`, or the error (null when it succeeded). */
private class Outcome(val id: String?, val status: String?, val reconciled: Boolean?, val error: PolypayException?)

private suspend fun create(client: PayCoreClient, kind: String, fieldsJson: String): Outcome = try {
    if (kind == "payment") {
        val i = client.createPaymentInvoice(fieldsJson, null)
        Outcome(i.id, i.status.toString(), i.response?.reconciled, null)
    } else {
        val i = client.createPayoutInvoice(fieldsJson, null)
        Outcome(i.id, i.status.toString(), i.response?.reconciled, null)
    }
} catch (e: PolypayException) {
    Outcome(null, null, null, e)
}

/** The id found by reference_id, or null when there is none. */
private suspend fun find(client: PayCoreClient, kind: String, referenceId: String): String? =
    if (kind == "payment") client.findPaymentInvoice(referenceId, null)?.id
    else client.findPayoutInvoice(referenceId, null)?.id

fun main(args: Array<String>) = runBlocking(Dispatchers.Default) {
    val cfg = Json.parseToJsonElement(File(args[0]).readText()).jsonObject
    val plan = cfg["plan"]!!.jsonArray.map { it.jsonObject }
    val client = PayCoreClient(
        ClientOptions(
            baseUrl = cfg.str("base_url"),
            accountId = cfg.str("account_id"),
            apiKey = cfg.str("api_key"),
            timeout = cfg["deadline_s"]!!.jsonPrimitive.double,
            requestTimeout = cfg["request_timeout_s"]!!.jsonPrimitive.double,
            connectTimeout = cfg["connect_timeout_s"]!!.jsonPrimitive.double,
            maxRetries = cfg["max_retries"]!!.jsonPrimitive.int.toUInt(),
        ),
    )
    val limit = Semaphore(cfg["concurrency"]!!.jsonPrimitive.int)

    val started = System.nanoTime()
    val calls = plan.mapIndexed { i, item ->
        async {
            limit.withPermit {
                val kind = item.str("kind")
                val fields = item["fields"]!!.jsonObject
                val t0 = System.nanoTime()
                val outcome = create(client, kind, fields.toString())
                val durationMs = (System.nanoTime() - t0) / 100_000 / 10.0
                Triple(i, item, outcome to durationMs)
            }
        }
    }.awaitAll()
    val wallS = (System.nanoTime() - started) / 1e9

    val http = HttpClient.newHttpClient()
    val stats = http.send(
        HttpRequest.newBuilder(URI.create(cfg.str("base_url") + "/__sandbox/stats")).build(),
        HttpResponse.BodyHandlers.ofString(),
    ).body()

    val settleAttempts = cfg["settle_attempts"]!!.jsonPrimitive.int
    // A lost create may still be landing: reconcile once the outcome can no longer change.
    if (calls.any { (_, _, pair) -> pair.first.error?.details?.outcomeUnknown == true }) {
        Thread.sleep((cfg["settle_after_s"]!!.jsonPrimitive.double * 1000).toLong())
    }
    val records = calls.map { (i, item, pair) ->
        val (outcome, durationMs) = pair
        val kind = item.str("kind")
        val referenceId = item["fields"]!!.jsonObject.str("reference_id")
        val e = outcome.error?.details
        var settled: JsonObject? = null
        if (e != null && e.outcomeUnknown) {
            for (attempt in 1..settleAttempts) {
                try {
                    val id = find(client, kind, referenceId)
                    settled = buildJsonObject {
                        put("found", id != null); put("id", id); put("attempts", attempt)
                    }
                    break
                } catch (failure: PolypayException) {
                    settled = buildJsonObject {
                        put("error", failure.details.msg.take(300)); put("attempts", attempt)
                    }
                    delay(1000)
                }
            }
        }
        val settlement = settled
        buildJsonObject {
            put("i", i)
            put("kind", kind)
            put("reference_id", referenceId)
            put("duration_ms", durationMs)
            put("ok", e == null)
            if (e == null) {
                put("id", outcome.id)
                put("status", outcome.status)
                put("reconciled", outcome.reconciled)
            } else {
                put("error", buildJsonObject {
                    put("kind", e.kind)
                    put("code", e.code)
                    put("http_status", e.httpStatus)
                    put("outcome_unknown", e.outcomeUnknown)
                    put("message", e.msg.take(300))
                })
            }
            if (settlement != null) put("settled", settlement)
        }
    }

    val result = buildJsonObject {
        put("client", cfg.str("client"))
        put("wall_s", wallS)
        put("stats_after_calls", Json.parseToJsonElement(stats))
        put("calls", JsonArray(records))
    }
    File(args[1]).writeText(result.toString())
    client.close()
}
