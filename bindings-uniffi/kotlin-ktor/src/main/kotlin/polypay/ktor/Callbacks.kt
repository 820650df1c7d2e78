// Ktor server routes for gateway callbacks: the raw body verified with one of the merchant's
// secret keys, the handler run once per new state through JdbcCallbackLedger, and the answer
// that makes the gateway stop or deliver again.
package polypay.ktor

import io.ktor.http.ContentType
import io.ktor.http.HttpStatusCode
import io.ktor.server.application.ApplicationCall
import io.ktor.server.application.log
import io.ktor.server.request.RequestAlreadyConsumedException
import io.ktor.server.request.receive
import io.ktor.server.response.header
import io.ktor.server.response.respondText
import io.ktor.server.routing.Route
import io.ktor.server.routing.post
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import polypay.CallbackEvent
import polypay.EcommpayCallback
import polypay.JdbcCallbackLedger
import polypay.LedgerEvent
import polypay.LedgerVerdict
import polypay.PolypayException
import polypay.details
import polypay.ecommpayVerifyCallback
import polypay.paycoreVerifyCallback
import java.sql.Connection

/** The response header that says what a delivery did: `apply`, `duplicate` or `stale`. */
const val VERDICT_HEADER: String = "Polypay-Verdict"

/** The header of a PayCore callback's signature. */
const val PAYCORE_SIGNATURE_HEADER: String = "X-Signature"

/**
 * A POST route at [path] for PayCore callbacks, verified with [secretKey] (the project's secret
 * key). See the overload with a resolver of several keys for what it does.
 */
fun Route.paycoreCallback(
    path: String,
    secretKey: String,
    ledger: JdbcCallbackLedger? = null,
    handler: suspend (event: CallbackEvent, connection: Connection?) -> Unit,
): Route = paycoreCallback(path, { listOf(secretKey) }, ledger, handler)

/**
 * A POST route at [path] for PayCore callbacks.
 *
 * 1. Reads the raw body bytes (the signature is over them: no plugin may have read the body
 *    before; if one did, the answer is a 500 that says so).
 * 2. Verifies the `X-Signature` header with each key [secrets] gives for the call, in turn: the
 *    new and the old key while you rotate them. Only a signature mismatch moves to the next key;
 *    a missing header, no key matching, or a body that is signed but unreadable answers **400**
 *    (the handler does not run).
 * 3. Runs [handler] with the verified event. With a [ledger], through
 *    [JdbcCallbackLedger.apply] on `Dispatchers.IO`: only for a new state of the invoice, in one
 *    transaction with its locked ledger row, and with that transaction's connection, so write
 *    the shop's tables with it (do not commit, roll back or close it); [handler] runs there
 *    under `runBlocking`, on that IO thread. Without a ledger, or for a resource type this SDK
 *    does not model (no `ledgerEvent`), it runs in the call's coroutine with a null connection.
 * 4. Answers **200** once the change is committed, with the header `Polypay-Verdict: apply`,
 *    `duplicate` (this state was applied already) or `stale` (an older state after a newer one):
 *    the gateway stops delivering. If [handler] (or the database) throws, nothing is recorded,
 *    the error is logged on the application's log, and the answer is **500**: the gateway
 *    delivers again later, and that delivery applies.
 */
fun Route.paycoreCallback(
    path: String,
    secrets: suspend (call: ApplicationCall) -> List<String>,
    ledger: JdbcCallbackLedger? = null,
    handler: suspend (event: CallbackEvent, connection: Connection?) -> Unit,
): Route = callbackRoute(
    path,
    secrets,
    ledger,
    handler,
    signature = { call -> call.request.headers[PAYCORE_SIGNATURE_HEADER]?.takeIf { it.isNotBlank() } },
    verify = { body, signature, secret -> paycoreVerifyCallback(body, signature!!, secret) },
    ledgerEvent = { it.ledgerEvent },
)

/**
 * A POST route at [path] for ecommpay callbacks (the signature is in the JSON body), verified
 * with [secretKey]. See the overload with a resolver of several keys.
 */
fun Route.ecommpayCallback(
    path: String,
    secretKey: String,
    ledger: JdbcCallbackLedger? = null,
    handler: suspend (callback: EcommpayCallback, connection: Connection?) -> Unit,
): Route = ecommpayCallback(path, { listOf(secretKey) }, ledger, handler)

/**
 * A POST route at [path] for ecommpay callbacks: the same steps and answers as
 * [paycoreCallback], the signature being the body's `signature` field (verified over the raw
 * bytes with each key of [secrets] in turn).
 */
fun Route.ecommpayCallback(
    path: String,
    secrets: suspend (call: ApplicationCall) -> List<String>,
    ledger: JdbcCallbackLedger? = null,
    handler: suspend (callback: EcommpayCallback, connection: Connection?) -> Unit,
): Route = callbackRoute(
    path,
    secrets,
    ledger,
    handler,
    signature = { "" },
    verify = { body, _, secret -> ecommpayVerifyCallback(body, secret) },
    ledgerEvent = { it.ledgerEvent },
)

internal const val BODY_CONSUMED =
    "polypay: the request body was already read before this callback route, so its raw bytes (which " +
        "the signature covers) are gone. Keep plugins (logging, content negotiation) from reading the " +
        "body of this route, or install Ktor's DoubleReceive plugin so that call.receive<ByteArray>() " +
        "gets the raw body again."

private fun <E : Any> Route.callbackRoute(
    path: String,
    secrets: suspend (ApplicationCall) -> List<String>,
    ledger: JdbcCallbackLedger?,
    handler: suspend (E, Connection?) -> Unit,
    signature: (ApplicationCall) -> String?,
    verify: (body: ByteArray, signature: String?, secret: String) -> E,
    ledgerEvent: (E) -> LedgerEvent?,
): Route = post(path) {
    val body = try {
        call.receive<ByteArray>()
    } catch (e: RequestAlreadyConsumedException) {
        call.application.log.error(BODY_CONSUMED)
        call.respondText(BODY_CONSUMED, ContentType.Text.Plain, HttpStatusCode.InternalServerError)
        return@post
    }
    val signed = signature(call) ?: run {
        call.respondText("missing $PAYCORE_SIGNATURE_HEADER header", ContentType.Text.Plain, HttpStatusCode.BadRequest)
        return@post
    }
    val keys = secrets(call)
    if (keys.isEmpty()) {
        call.application.log.error("polypay: no secret key to verify the callback of ${call.request.local.uri} with")
        call.respondText("no secret key configured", ContentType.Text.Plain, HttpStatusCode.InternalServerError)
        return@post
    }
    var event: E? = null
    var refusal: PolypayException? = null
    for (key in keys) {
        try {
            event = verify(body, signed, key)
            break
        } catch (e: PolypayException.Signature) {
            refusal = e // the next key may be the one
        } catch (e: PolypayException) {
            refusal = e // signed but unusable: no other key changes that
            break
        }
    }
    if (event == null) {
        val details = refusal!!.details
        // Messages never carry secrets; they say what is wrong (e.g. the signature does not match).
        call.respondText("${details.kind}: ${details.msg}", ContentType.Text.Plain, HttpStatusCode.BadRequest)
        return@post
    }
    val change = ledgerEvent(event)
    val verdict = try {
        if (ledger == null || change == null) {
            handler(event, null)
            LedgerVerdict.APPLY
        } else {
            // JDBC blocks: on the IO dispatcher, the suspend handler inside the transaction.
            withContext(Dispatchers.IO) {
                ledger.apply(change) { connection -> runBlocking { handler(event, connection) } }.verdict
            }
        }
    } catch (e: CancellationException) {
        throw e
    } catch (e: Exception) {
        call.application.log.error("polypay: the callback handler failed; answering 500 so that the gateway delivers again", e)
        call.respondText("the callback handler failed", ContentType.Text.Plain, HttpStatusCode.InternalServerError)
        return@post
    }
    val name = verdict.name.lowercase()
    call.response.header(VERDICT_HEADER, name)
    call.respondText(name, ContentType.Text.Plain, HttpStatusCode.OK)
}
