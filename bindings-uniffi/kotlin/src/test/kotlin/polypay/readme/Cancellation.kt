// A README sample (see Client.kt): ReadmeTest compares and runs it.
package polypay.readme

// readme-sample: kotlin-cancellation begin
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.withTimeout
import polypay.*

// Cancelling the coroutine (job.cancel(), withTimeout, a closed scope) ends the call at once with
// PolypayCancellationException: a CancellationException, so structured concurrency works as usual
// (and `catch (e: PolypayException)` does not swallow it), that keeps the facts of a create.
suspend fun createOrRemember(client: PayCoreClient, fieldsJson: String, reconcileLater: (String) -> Unit): PaymentInvoice =
    try {
        client.createPaymentInvoice(fieldsJson)
    } catch (e: PolypayCancellationException) {
        // referenceId: the one sent (generated if you gave none); outcomeUnknown: it may exist.
        if (e.details.outcomeUnknown) reconcileLater(e.details.referenceId!!)
        throw e // always: the coroutine was asked to stop
    }

// Outside the cancelled block, cancelledCallError() finds the same facts, e.g. behind withTimeout.
// (The call's own `timeout` argument ends it with PolypayException.Timeout and the facts instead.)
suspend fun createWithin(client: PayCoreClient, fieldsJson: String, millis: Long, reconcileLater: (String) -> Unit): PaymentInvoice? =
    try {
        withTimeout(millis) { client.createPaymentInvoice(fieldsJson) }
    } catch (e: TimeoutCancellationException) {
        val error = e.cancelledCallError() // null when no polypay call was cancelled
        if (error != null && error.details.outcomeUnknown) reconcileLater(error.details.referenceId!!)
        null
    }
// readme-sample: kotlin-cancellation end
