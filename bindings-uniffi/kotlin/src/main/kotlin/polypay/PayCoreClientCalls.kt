// Hand-written companion of the generated bindings (package polypay): the network methods of
// PayCoreClient with their documented names, and what coroutine cancellation gives you.
//
// Why these wrappers exist: uniffi cannot carry a cancelled call's facts across the FFI. When a
// coroutine is cancelled, the generated `uniffiRustCallAsync` throws CancellationException at once
// and drops the Rust future, so a create's (possibly generated) reference_id and whether it may
// have reached the gateway are lost. So Rust exports each network method as `raw<Name>(..., token)`
// and these extensions, with the original names and parameters, run it on a fresh CallToken that
// fires when the caller's coroutine is cancelled: the core then ends the call promptly with
// PolypayException.Cancelled carrying the facts. One helper, one line per method.
package polypay

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.util.Collections
import java.util.IdentityHashMap
import java.util.concurrent.atomic.AtomicReference

/**
 * How a polypay call ends when its coroutine is cancelled (`job.cancel()`, `withTimeout`, a failed
 * sibling, a closed scope): a [CancellationException], so structured concurrency works as usual
 * (a cancelled `launch` ends quietly, nothing reaches a `CoroutineExceptionHandler`,
 * `catch (e: PolypayException)` does not swallow the cancellation), whose [error] (also its
 * `cause`) is the polypay error with the call's facts: normally [PolypayException.Cancelled]
 * with `details.referenceId` (the one sent, generated when you gave none) and
 * `details.outcomeUnknown` (true: a create may have reached the gateway, look it up by
 * `referenceId`; false: nothing was sent). Rarely another [PolypayException], when the call
 * failed just as the coroutine was cancelled.
 *
 * Catch it inside the cancelled coroutine, or find it from the exception that reached you
 * outside (the `TimeoutCancellationException` of `withTimeout`, a cancelled `Deferred`'s) with
 * [cancelledCallError]. Then rethrow: the coroutine was asked to stop.
 */
class PolypayCancellationException(val error: PolypayException) :
    CancellationException("polypay call cancelled: ${error.details.kind}: ${error.details.msg}") {
    init {
        initCause(error)
    }

    /** The call's facts: `referenceId`, `outcomeUnknown`, ... */
    val details: ErrorDetails get() = error.details
}

/**
 * The polypay errors of the calls a cancellation ended, found from the exception that reached
 * you: a [PolypayCancellationException] itself, or the cancellation cause they were attached to
 * (`withTimeout`'s `TimeoutCancellationException`, the `CancellationException` of a cancelled job
 * or `Deferred`), through causes and suppressed exceptions. Empty when no polypay call was
 * cancelled by it.
 */
fun Throwable.cancelledCallErrors(): List<PolypayException> {
    val found = mutableListOf<PolypayException>()
    val seen = Collections.newSetFromMap(IdentityHashMap<Throwable, Boolean>())
    val queue = ArrayDeque(listOf(this))
    while (queue.isNotEmpty()) {
        val t = queue.removeFirst()
        if (!seen.add(t)) continue
        if (t is PolypayCancellationException) {
            found += t.error
            continue
        }
        t.cause?.let(queue::add)
        queue.addAll(t.suppressed)
    }
    return found
}

/** The first of [cancelledCallErrors], or null. */
fun Throwable.cancelledCallError(): PolypayException? = cancelledCallErrors().firstOrNull()

/** At most this many cancelled calls are attached to one cancellation cause. */
private const val MAX_ATTACHED = 64

/**
 * Runs `call` with a fresh [CallToken] that fires when the caller's coroutine is cancelled.
 *
 * The raw call runs under `NonCancellable`, so the generated code never drops the Rust future; a
 * child coroutine (Unconfined: it runs in the cancelling thread, whatever the caller's dispatcher
 * is doing) watches the caller's job and cancels the token, and the core ends the call at once
 * with its facts. Then:
 * - the call failed and the caller was cancelled: [PolypayCancellationException] with the error,
 *   also attached (suppressed) to the cancellation's root cause, so [cancelledCallError] finds
 *   it from what `withTimeout` or `Deferred.await` throw outside;
 * - the call succeeded although the caller was cancelled meanwhile (it finished first): its
 *   result is returned, as any non-cancellable work's (the next suspension point throws);
 * - otherwise the result or the error, as before.
 */
internal suspend fun <T> withCallToken(call: suspend (CallToken) -> T): T {
    // Not closed here: the watcher may still touch it as the call ends; uniffi's cleaner frees it.
    val token = CallToken()
    val job = currentCoroutineContext()[Job] ?: return call(token) // no job: nothing can cancel it
    val cancelledBy = AtomicReference<CancellationException?>()
    val watcher = CoroutineScope(job + Dispatchers.Unconfined).launch(start = CoroutineStart.UNDISPATCHED) {
        try {
            awaitCancellation()
        } catch (e: CancellationException) {
            // The caller's job was cancelled (not this watcher alone, once the call is over).
            if (job.isCancelled && cancelledBy.compareAndSet(null, e)) token.cancel()
            throw e
        }
    }
    try {
        return withContext(NonCancellable) { call(token) }
    } catch (e: PolypayException) {
        val cause = cancelledBy.get() ?: throw e
        val cancelled = PolypayCancellationException(e)
        val root = generateSequence<Throwable>(cause) { it.cause }.take(16).last()
        if (root.suppressed.size < MAX_ATTACHED) root.addSuppressed(cancelled)
        throw cancelled
    } finally {
        watcher.cancel()
    }
}

/** A list as a cold Flow: each collection opens its own pager and reads it item by item, every
 * page fetch under a token that the collector's cancellation fires. */
private fun <P, T : Any> lazyList(open: () -> P, next: suspend P.(CallToken) -> T?): Flow<T> = flow {
    val pager = open()
    while (true) {
        val item = withCallToken { pager.next(it) } ?: break
        emit(item)
    }
}

// ---- generated from the core's operation table (src/wrappers.rs) ----

// PayCoreClient: every operation.

/** Payment services and methods available for a currency and amount. */
suspend fun PayCoreClientInterface.paymentPrerequest(fieldsJson: String, timeout: Double? = null): Prerequest =
    withCallToken { rawPaymentPrerequest(fieldsJson, timeout, it) }

/** Payout services available for a currency and amount. */
suspend fun PayCoreClientInterface.payoutPrerequest(fieldsJson: String, timeout: Double? = null): Prerequest =
    withCallToken { rawPayoutPrerequest(fieldsJson, timeout, it) }

/** Creates a payment invoice with the public key (the account must allow it). */
suspend fun PayCoreClientInterface.createPaymentInvoicePublic(fieldsJson: String, timeout: Double? = null): PaymentInvoice =
    withCallToken { rawCreatePaymentInvoicePublic(fieldsJson, timeout, it) }

/** A payment invoice by id, through the Public API. */
suspend fun PayCoreClientInterface.getPaymentInvoicePublic(id: String, timeout: Double? = null): PaymentInvoice =
    withCallToken { rawGetPaymentInvoicePublic(id, timeout, it) }

/** A payout invoice by id, through the Public API. */
suspend fun PayCoreClientInterface.getPayoutInvoicePublic(id: String, timeout: Double? = null): PayoutInvoice =
    withCallToken { rawGetPayoutInvoicePublic(id, timeout, it) }

/** Creates a payment invoice; never doubled (reconciled by `reference_id`). */
suspend fun PayCoreClientInterface.createPaymentInvoice(fieldsJson: String, timeout: Double? = null): PaymentInvoice =
    withCallToken { rawCreatePaymentInvoice(fieldsJson, timeout, it) }

/** A payment invoice by id. */
suspend fun PayCoreClientInterface.getPaymentInvoice(id: String, timeout: Double? = null): PaymentInvoice =
    withCallToken { rawGetPaymentInvoice(id, timeout, it) }

/** The payment invoice with this `reference_id`, if any. */
suspend fun PayCoreClientInterface.findPaymentInvoice(referenceId: String, timeout: Double? = null): PaymentInvoice? =
    withCallToken { rawFindPaymentInvoice(referenceId, timeout, it) }

/**
 * Every payment invoice, newest first, page by page.
 * A cold [Flow]: the next page is fetched only when the items already read are used up (`take(n)`, `first()` and cancelling the collector stop it).
 */
fun PayCoreClientInterface.listPaymentInvoices(referenceId: String? = null, pageSize: UInt? = null): Flow<PaymentInvoice> =
    lazyList({ rawListPaymentInvoicesPager(referenceId, pageSize) }) { next(it) }

/**
 * Refunds all or part of a payment invoice (`amount` required); never re-sent once it may
 * have arrived: an unknown outcome is an error saying `outcome_unknown`.
 */
suspend fun PayCoreClientInterface.refundPaymentInvoice(id: String, fieldsJson: String, timeout: Double? = null): Refund =
    withCallToken { rawRefundPaymentInvoice(id, fieldsJson, timeout, it) }

/** A refund by id (`ref_…`). */
suspend fun PayCoreClientInterface.getRefund(id: String, timeout: Double? = null): Refund =
    withCallToken { rawGetRefund(id, timeout, it) }

/**
 * Every refund, newest first, page by page (`reference_id` finds the one made with it).
 * A cold [Flow]: the next page is fetched only when the items already read are used up (`take(n)`, `first()` and cancelling the collector stop it).
 */
fun PayCoreClientInterface.listRefunds(referenceId: String? = null, pageSize: UInt? = null): Flow<Refund> =
    lazyList({ rawListRefundsPager(referenceId, pageSize) }) { next(it) }

/** Creates a payout invoice; never doubled (reconciled by `reference_id`). */
suspend fun PayCoreClientInterface.createPayoutInvoice(fieldsJson: String, timeout: Double? = null): PayoutInvoice =
    withCallToken { rawCreatePayoutInvoice(fieldsJson, timeout, it) }

/** A payout invoice by id. */
suspend fun PayCoreClientInterface.getPayoutInvoice(id: String, timeout: Double? = null): PayoutInvoice =
    withCallToken { rawGetPayoutInvoice(id, timeout, it) }

/** The payout invoice with this `reference_id`, if any. */
suspend fun PayCoreClientInterface.findPayoutInvoice(referenceId: String, timeout: Double? = null): PayoutInvoice? =
    withCallToken { rawFindPayoutInvoice(referenceId, timeout, it) }

/**
 * Every payout invoice, newest first, page by page.
 * A cold [Flow]: the next page is fetched only when the items already read are used up (`take(n)`, `first()` and cancelling the collector stop it).
 */
fun PayCoreClientInterface.listPayoutInvoices(referenceId: String? = null, pageSize: UInt? = null): Flow<PayoutInvoice> =
    lazyList({ rawListPayoutInvoicesPager(referenceId, pageSize) }) { next(it) }

/**
 * The payment services configured on the account, page by page.
 * A cold [Flow]: the next page is fetched only when the items already read are used up (`take(n)`, `first()` and cancelling the collector stop it).
 */
fun PayCoreClientInterface.listPaymentServices(referenceId: String? = null, pageSize: UInt? = null): Flow<PaymentService> =
    lazyList({ rawListPaymentServicesPager(referenceId, pageSize) }) { next(it) }

/** A payment service by id. */
suspend fun PayCoreClientInterface.getPaymentService(id: String, timeout: Double? = null): PaymentService =
    withCallToken { rawGetPaymentService(id, timeout, it) }

/**
 * The payout services configured on the account, page by page.
 * A cold [Flow]: the next page is fetched only when the items already read are used up (`take(n)`, `first()` and cancelling the collector stop it).
 */
fun PayCoreClientInterface.listPayoutServices(referenceId: String? = null, pageSize: UInt? = null): Flow<PayoutService> =
    lazyList({ rawListPayoutServicesPager(referenceId, pageSize) }) { next(it) }

/** A payout service by id. */
suspend fun PayCoreClientInterface.getPayoutService(id: String, timeout: Double? = null): PayoutService =
    withCallToken { rawGetPayoutService(id, timeout, it) }

/** Balances per currency account. */
suspend fun PayCoreClientInterface.balances(timeout: Double? = null): Balances =
    withCallToken { rawBalances(timeout, it) }

// PublicPayCoreClient: the Public API with the public key alone (what an app may hold).

/** Payment services and methods available for a currency and amount. */
suspend fun PublicPayCoreClientInterface.paymentPrerequest(fieldsJson: String, timeout: Double? = null): Prerequest =
    withCallToken { rawPaymentPrerequest(fieldsJson, timeout, it) }

/** Payout services available for a currency and amount. */
suspend fun PublicPayCoreClientInterface.payoutPrerequest(fieldsJson: String, timeout: Double? = null): Prerequest =
    withCallToken { rawPayoutPrerequest(fieldsJson, timeout, it) }

/** Creates a payment invoice with the public key (the account must allow it). */
suspend fun PublicPayCoreClientInterface.createPaymentInvoicePublic(fieldsJson: String, timeout: Double? = null): PaymentInvoice =
    withCallToken { rawCreatePaymentInvoicePublic(fieldsJson, timeout, it) }

/** A payment invoice by id, through the Public API. */
suspend fun PublicPayCoreClientInterface.getPaymentInvoicePublic(id: String, timeout: Double? = null): PaymentInvoice =
    withCallToken { rawGetPaymentInvoicePublic(id, timeout, it) }

/** A payout invoice by id, through the Public API. */
suspend fun PublicPayCoreClientInterface.getPayoutInvoicePublic(id: String, timeout: Double? = null): PayoutInvoice =
    withCallToken { rawGetPayoutInvoicePublic(id, timeout, it) }

// ---- end of generated ----

// ---- typed requests (the common path; the `fieldsJson` forms take any field as JSON) --------

suspend fun PayCoreClientInterface.createPaymentInvoice(request: PaymentInvoiceRequest, timeout: Double? = null): PaymentInvoice =
    createPaymentInvoice(paymentInvoiceRequestJson(request), timeout)

suspend fun PayCoreClientInterface.createPayoutInvoice(request: PayoutInvoiceRequest, timeout: Double? = null): PayoutInvoice =
    createPayoutInvoice(payoutInvoiceRequestJson(request), timeout)

suspend fun PayCoreClientInterface.refundPaymentInvoice(id: String, request: RefundRequest, timeout: Double? = null): Refund =
    refundPaymentInvoice(id, refundRequestJson(request), timeout)

suspend fun PayCoreClientInterface.createPaymentInvoicePublic(request: PaymentInvoiceRequest, timeout: Double? = null): PaymentInvoice =
    createPaymentInvoicePublic(paymentInvoiceRequestJson(request), timeout)

suspend fun PayCoreClientInterface.paymentPrerequest(request: PrerequestRequest, timeout: Double? = null): Prerequest =
    paymentPrerequest(prerequestJson(request), timeout)

suspend fun PayCoreClientInterface.payoutPrerequest(request: PrerequestRequest, timeout: Double? = null): Prerequest =
    payoutPrerequest(prerequestJson(request), timeout)

suspend fun PublicPayCoreClientInterface.createPaymentInvoicePublic(request: PaymentInvoiceRequest, timeout: Double? = null): PaymentInvoice =
    createPaymentInvoicePublic(paymentInvoiceRequestJson(request), timeout)

suspend fun PublicPayCoreClientInterface.paymentPrerequest(request: PrerequestRequest, timeout: Double? = null): Prerequest =
    paymentPrerequest(prerequestJson(request), timeout)

suspend fun PublicPayCoreClientInterface.payoutPrerequest(request: PrerequestRequest, timeout: Double? = null): Prerequest =
    payoutPrerequest(prerequestJson(request), timeout)
