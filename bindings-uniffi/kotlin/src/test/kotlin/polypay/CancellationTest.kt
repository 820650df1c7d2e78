package polypay

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineExceptionHandler
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.UUID
import java.util.concurrent.CopyOnWriteArrayList

/**
 * Coroutine cancellation of calls against a real `polypay sandbox` whose create answers 1.5 s
 * late: the call ends at once with [PolypayCancellationException] (a CancellationException)
 * carrying the polypay error with the (generated) reference_id and outcomeUnknown, and the
 * create the sandbox committed after the client gave up is then found by that reference_id.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CancellationTest {
    private lateinit var sandbox: Sandbox
    private lateinit var client: PayCoreClient

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        client = PayCoreClient(
            ClientOptions(baseUrl = sandbox.baseUrl, accountId = sandbox.key("account_id"), apiKey = sandbox.key("api_key")),
        )
    }

    @AfterAll
    fun stop() {
        client.close()
        sandbox.close()
    }

    @AfterEach
    fun clearFaults() {
        sandbox.admin("DELETE", "/faults")
    }

    /** The next create is held 1.5 s by the sandbox, then committed (even if the client left). */
    private fun slowCreate() {
        sandbox.admin("POST", "/faults", """{"route":"POST /api/payment-invoices","nth":1,"effect":{"delay_ms":1500}}""")
    }

    private fun fields(reference: String? = null): String {
        val ref = if (reference == null) "" else ""","reference_id":"$reference""""
        return """{"service":"test_usd_test","amount":"100.55","currency":"USD","service_fields":{"status":"success"}$ref}"""
    }

    /** The facts of a create cancelled while its request was at the gateway. */
    private fun assertSentAndCancelled(error: PolypayException?): String {
        assertTrue(error is PolypayException.Cancelled, "expected PolypayException.Cancelled, got $error")
        val d = error!!.details
        assertEquals("cancelled", d.kind)
        assertTrue(d.outcomeUnknown, "the request was sent: $d")
        val reference = d.referenceId
        assertEquals(36, reference?.length, "a generated UUID reference_id: $d")
        return reference!!
    }

    /** The invoice the sandbox committed after the delay: found by reference, exactly once. */
    private suspend fun assertCommittedOnce(reference: String) {
        val deadline = System.nanoTime() + 5_000_000_000
        while (client.findPaymentInvoice(reference) == null) {
            check(System.nanoTime() < deadline) { "the cancelled create $reference never appeared" }
            delay(100)
        }
        assertEquals(1, client.listPaymentInvoices(referenceId = reference).toList().size)
    }

    private fun millisSince(start: Long) = (System.nanoTime() - start) / 1_000_000

    @Test
    fun aCancelledCoroutineGetsTheFactsAndTheCreateIsFoundLater() = runBlocking<Unit> {
        slowCreate()
        val seen = CompletableDeferred<Throwable?>()
        val job = launch {
            try {
                client.createPaymentInvoice(fields())
                seen.complete(null)
            } catch (e: PolypayException) {
                seen.complete(AssertionError("a cancellation must not be a plain PolypayException", e))
            } catch (e: CancellationException) {
                seen.complete(e)
                throw e
            }
        }
        delay(200)
        val cancelledAt = System.nanoTime()
        job.cancel()
        job.join()
        // Promptly: the Rust call saw the token (the gateway answers only after 1.5 s).
        assertTrue(millisSince(cancelledAt) < 1000, "ended ${millisSince(cancelledAt)} ms after cancel()")
        assertTrue(job.isCancelled)
        val e = seen.await()
        assertTrue(e is PolypayCancellationException, "expected PolypayCancellationException, got $e")
        e as PolypayCancellationException
        assertSame(e.error, e.cause)
        assertEquals(e.error.details, e.details)
        val reference = assertSentAndCancelled(e.error)
        assertCommittedOnce(reference)
    }

    @Test
    fun withTimeoutKeepsTheFactsInsideAndOutside() = runBlocking<Unit> {
        slowCreate()
        var inside: PolypayCancellationException? = null
        val started = System.nanoTime()
        val outside = try {
            withTimeout(200) {
                try {
                    client.createPaymentInvoice(fields())
                } catch (e: PolypayCancellationException) {
                    inside = e
                    throw e
                }
            }
            throw AssertionError("the create outlived its timeout")
        } catch (e: TimeoutCancellationException) {
            e
        }
        assertTrue(millisSince(started) < 1200, "took ${millisSince(started)} ms")
        val reference = assertSentAndCancelled(inside?.error)
        // withTimeout throws its own TimeoutCancellationException; the facts are attached to it.
        assertSame(inside!!.error, outside.cancelledCallError())
        assertEquals(listOf(inside!!.error), outside.cancelledCallErrors())
        assertCommittedOnce(reference)
    }

    @Test
    fun aCancelledDeferredCarriesTheFactsToItsAwaiter() = runBlocking<Unit> {
        slowCreate()
        val reference = "kt-cancel-" + UUID.randomUUID().toString().take(8)
        val deferred = async { client.createPaymentInvoice(fields(reference)) }
        delay(200)
        deferred.cancel()
        val e = try {
            deferred.await()
            throw AssertionError("the cancelled create returned")
        } catch (e: CancellationException) {
            e
        }
        val error = e.cancelledCallError()
        assertTrue(error is PolypayException.Cancelled, "$error")
        assertEquals(reference, error!!.details.referenceId)
        assertTrue(error.details.outcomeUnknown)
        assertCommittedOnce(reference)
    }

    @Test
    fun aCoroutineCancelledBeforeTheCallSendsNothing() = runBlocking<Unit> {
        val generated = CompletableDeferred<Throwable>()
        launch {
            cancel()
            try {
                client.createPaymentInvoice(fields())
                generated.complete(AssertionError("the create of a cancelled coroutine ran"))
            } catch (e: Throwable) {
                generated.complete(e)
                throw e
            }
        }.join()
        val e = generated.await()
        assertTrue(e is PolypayCancellationException, "$e")
        val d = (e as PolypayCancellationException).details
        assertEquals("cancelled", d.kind)
        assertFalse(d.outcomeUnknown, "nothing was sent: $d")
        assertEquals(36, d.referenceId?.length, "$d")
        delay(300)
        assertNull(client.findPaymentInvoice(d.referenceId!!))
    }

    @Test
    fun cancellationStaysCancellationForStructuredConcurrency() = runBlocking<Unit> {
        slowCreate()
        // A plain exception from a cancelled child would fail the scope and reach its handler.
        val handled = CopyOnWriteArrayList<Throwable>()
        val scope = CoroutineScope(SupervisorJob() + CoroutineExceptionHandler { _, e -> handled += e })
        val job = scope.launch { client.createPaymentInvoice(fields()) }
        delay(200)
        job.cancel()
        job.join()
        assertTrue(job.isCancelled)
        assertEquals(emptyList<Throwable>(), handled.toList())
        assertTrue(scope.coroutineContext[kotlinx.coroutines.Job]!!.isActive)
        scope.cancel()
    }

    @Test
    fun readsEndPromptlyToo() = runBlocking<Unit> {
        sandbox.admin("POST", "/faults", """{"route":"GET /api/account/balances","effect":{"delay_ms":3000}}""")
        val seen = CompletableDeferred<Throwable>()
        val job = launch {
            try {
                client.balances()
                seen.complete(AssertionError("the read outlived its cancellation"))
            } catch (e: Throwable) {
                seen.complete(e)
                throw e
            }
        }
        delay(200)
        val cancelledAt = System.nanoTime()
        job.cancel()
        job.join()
        assertTrue(millisSince(cancelledAt) < 1000, "ended ${millisSince(cancelledAt)} ms after cancel()")
        val e = seen.await()
        assertTrue(e is PolypayCancellationException && e.error is PolypayException.Cancelled, "$e")
        assertFalse((e as PolypayCancellationException).details.outcomeUnknown)
    }

    @Test
    fun anOwnTokenCancelsARawCallWithAPlainPolypayError() = runBlocking<Unit> {
        slowCreate()
        val token = CallToken()
        launch {
            delay(200)
            token.cancel()
        }
        val e = try {
            client.rawCreatePaymentInvoice(fields(), null, token)
            null
        } catch (e: PolypayException) {
            e
        }
        assertTrue(token.isCancelled())
        val reference = assertSentAndCancelled(e)
        assertCommittedOnce(reference)
    }
}
