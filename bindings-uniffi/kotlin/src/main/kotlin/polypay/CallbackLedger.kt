// Hand-written companion of the generated bindings (package polypay): callbacks applied exactly
// once across many workers, with a ledger row per entity in the app's own PostgreSQL database.
// java.sql only: the app brings its DataSource (HikariCP, a framework's, the driver's own).
package polypay

import java.sql.Connection
import java.sql.SQLException
import java.sql.Types
import javax.sql.DataSource

/**
 * What [JdbcCallbackLedger.apply] did with a delivery: the [verdict], and the handler's [result]
 * when it ran ([LedgerVerdict.APPLY]; null for a duplicate or a stale delivery).
 */
data class LedgerOutcome<T>(val verdict: LedgerVerdict, val result: T?) {
    /** The handler ran and its change was committed with the ledger row. */
    val applied: Boolean get() = verdict == LedgerVerdict.APPLY
}

/**
 * Applies each verified callback's change exactly once, whatever the number of workers.
 *
 * Gateways deliver callbacks at least once and in no set order, and several processes may
 * receive deliveries of the same invoice at the same time. So each entity has a row in [table]
 * (`kind`, `entity_id`, the `status` and `time` applied last); [apply] locks it
 * (`SELECT … FOR UPDATE`) in the transaction that runs the merchant's handler, asks the core's rule
 * ([ledgerDecide]) what the delivery means, and runs the handler only for a new state. The
 * handler writes the shop's tables with the connection it is given, so its change and the ledger
 * row commit together or not at all: an exception rolls both back and is rethrown, the app answers
 * an error status, and the gateway delivers again later.
 *
 * PostgreSQL (`ON CONFLICT`, `FOR UPDATE`), at its default READ COMMITTED isolation; under
 * REPEATABLE READ or SERIALIZABLE a concurrent delivery of the same entity fails with a
 * serialization error (SQLState `40001`), which is rethrown like any other and retried by the
 * gateway. Call [ensureSchema] once at start-up (or create the table with your migrations).
 *
 * @param table the ledger table, a plain or schema-qualified SQL identifier.
 */
class JdbcCallbackLedger(
    private val dataSource: DataSource,
    table: String = "polypay_callback_ledger",
) {
    val table: String = table.also {
        require(IDENTIFIER.matches(it) && it.split('.').all { part -> part.length <= 63 }) {
            "table must be a plain SQL identifier (letters, digits, _; optionally schema.table), got \"$it\""
        }
    }

    /** Creates the ledger table when it does not exist. */
    fun ensureSchema() {
        dataSource.connection.use { c ->
            c.createStatement().use {
                it.execute(
                    "CREATE TABLE IF NOT EXISTS $table (kind varchar(32) NOT NULL, " +
                        "entity_id varchar(255) NOT NULL, status varchar(64), time bigint, " +
                        "applied_at timestamp with time zone, PRIMARY KEY (kind, entity_id))",
                )
            }
        }
    }

    /**
     * Runs [handler] for [event] (a verified callback's `ledgerEvent`) if it is a new state of
     * its entity, in one transaction with the ledger row, which stays locked until the commit:
     * deliveries of the same entity elsewhere wait, then see this one's status. The handler gets
     * that transaction's connection: write with it, and do not commit, roll back or close it.
     * Any exception (the handler's, the database's, an invalid [event]'s [PolypayException])
     * rolls everything back and is rethrown.
     */
    fun <T> apply(event: LedgerEvent, handler: (Connection) -> T): LedgerOutcome<T> {
        dataSource.connection.use { c ->
            val autoCommit = c.autoCommit
            c.autoCommit = false
            try {
                c.prepareStatement(
                    "INSERT INTO $table (kind, entity_id) VALUES (?, ?) ON CONFLICT (kind, entity_id) DO NOTHING",
                ).use {
                    it.setString(1, event.kind)
                    it.setString(2, event.entityId)
                    it.executeUpdate()
                }
                var lastStatus: String? = null
                var lastTime: Long? = null
                c.prepareStatement("SELECT status, time FROM $table WHERE kind = ? AND entity_id = ? FOR UPDATE").use {
                    it.setString(1, event.kind)
                    it.setString(2, event.entityId)
                    it.executeQuery().use { rows ->
                        check(rows.next()) { "the ledger row of ${event.kind} ${event.entityId} is missing" }
                        lastStatus = rows.getString(1)
                        lastTime = rows.getLong(2).takeUnless { rows.wasNull() }
                    }
                }
                // A NULL status: the row was just created, nothing applied yet.
                val verdict = ledgerDecide(event, lastStatus, lastTime.takeIf { lastStatus != null })
                var result: T? = null
                if (verdict == LedgerVerdict.APPLY) {
                    result = handler(c)
                    c.prepareStatement(
                        "UPDATE $table SET status = ?, time = ?, applied_at = now() WHERE kind = ? AND entity_id = ?",
                    ).use {
                        it.setString(1, event.status)
                        if (event.time == null) it.setNull(2, Types.BIGINT) else it.setLong(2, event.time!!)
                        it.setString(3, event.kind)
                        it.setString(4, event.entityId)
                        it.executeUpdate()
                    }
                }
                c.commit()
                return LedgerOutcome(verdict, result)
            } catch (e: Throwable) {
                try {
                    c.rollback()
                } catch (r: SQLException) {
                    e.addSuppressed(r)
                }
                throw e
            } finally {
                // A pooled connection goes back as it came.
                try {
                    c.autoCommit = autoCommit
                } catch (_: SQLException) {
                }
            }
        }
    }

    private companion object {
        val IDENTIFIER = Regex("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?")
    }
}
