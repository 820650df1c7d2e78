// A README sample (see Client.kt): ReadmeTest compares it and runs it against PostgreSQL.
package polypay.readme

// readme-sample: kotlin-callback-ledger begin
import polypay.*

// val ledger = JdbcCallbackLedger(dataSource).apply { ensureSchema() }   // once, at start-up
// Answer 200 whatever the verdict (a duplicate or stale delivery is done with); let an exception
// (a bad signature, your handler's failure) become an error status: the gateway delivers again.
fun onPaidCallback(ledger: JdbcCallbackLedger, requestBody: ByteArray, xSignature: String, secretKey: String): LedgerVerdict? {
    val event = paycoreVerifyCallback(requestBody, xSignature, secretKey) // throws PolypayException.Signature
    val change = event.ledgerEvent ?: return null // a resource type this SDK does not model
    return ledger.apply(change) { connection ->
        // Once per new state of the invoice, in the transaction of its locked ledger row: write
        // with this connection, and your change commits with the ledger's or not at all.
        connection.prepareStatement("UPDATE orders SET status = ? WHERE invoice_id = ?").use {
            it.setString(1, change.status)
            it.setString(2, change.entityId)
            it.executeUpdate()
        }
    }.verdict
}
// readme-sample: kotlin-callback-ledger end
