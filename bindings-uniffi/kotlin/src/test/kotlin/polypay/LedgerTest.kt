package polypay

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.postgresql.ds.PGSimpleDataSource
import polypay.Postgres.exec
import polypay.Postgres.rows
import java.sql.Connection
import java.util.Random
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicInteger
import javax.sql.DataSource
import kotlin.concurrent.thread

/**
 * Exactly-once callbacks: the core's rule through `ledgerDecide`, the `ledgerEvent` of verified
 * callbacks, and [JdbcCallbackLedger] against a real PostgreSQL (tests/postgres/with-postgres,
 * which `make test-kotlin` runs the suite under; without it the database tests fail).
 */
class LedgerTest {
    private class HandlerFailed : RuntimeException("the shop's handler failed")

    private fun event(status: String, time: Long?, id: String = "cpi_1", kind: String = "paycore.payment") =
        LedgerEvent(kind, id, status, time)

    @Test
    fun decideSaysApplyDuplicateOrStale() {
        assertEquals(LedgerVerdict.APPLY, ledgerDecide(event("processed", 10), null, null))
        assertEquals(LedgerVerdict.APPLY, ledgerDecide(event("processed", 10)))
        assertEquals(LedgerVerdict.DUPLICATE, ledgerDecide(event("processed", 10), "processed", 10))
        // Aliases and case fold to the canonical status.
        assertEquals(LedgerVerdict.DUPLICATE, ledgerDecide(event("SUCCESSFUL", 12), "processed", 10))
        // Nothing moves an entity after a terminal status, whatever the times say.
        assertEquals(LedgerVerdict.STALE, ledgerDecide(event("processed", 50), "refunded", 20))
        assertEquals(LedgerVerdict.STALE, ledgerDecide(event("created", 1), "processing", 2))
        assertEquals(LedgerVerdict.APPLY, ledgerDecide(event("refunded", 30), "processed", 30))
    }

    @Test
    fun decideRefusesABadKindOrAnEmptyId() {
        val kind = assertThrows<PolypayException.InvalidInput> { ledgerDecide(event("processed", 1, kind = "paycore")) }
        assertEquals("unknown_kind", kind.details.code)
        assertEquals("kind", kind.details.argument)
        assertTrue("paycore.payment" in kind.details.msg, kind.details.msg)
        val id = assertThrows<PolypayException.InvalidInput> { ledgerDecide(event("processed", 1, id = " ")) }
        assertEquals("missing", id.details.code)
        assertEquals("entity_id", id.details.argument)
    }

    @Test
    fun verifiedCallbacksCarryTheirLedgerEvent() {
        val body = """{"data":{"type":"payment-invoices","id":"cpi_L1","attributes":{"status":"processed","amount":1,"currency":"USD","updated":1717243207}}}""".toByteArray()
        val paycore = paycoreVerifyCallback(body, paycoreSignCallback(body, "sk_test_1"), "sk_test_1")
        assertEquals(LedgerEvent("paycore.payment", "cpi_L1", "processed", 1717243207L), paycore.ledgerEvent)
        val payout = String(body).replace("payment-invoices", "payout-invoices").replace("cpi_", "cpo_").toByteArray()
        assertEquals(
            LedgerEvent("paycore.payout", "cpo_L1", "processed", 1717243207L),
            paycoreVerifyCallback(payout, paycoreSignCallback(payout, "sk_test_1"), "sk_test_1").ledgerEvent,
        )
        // A resource type this SDK does not model has none.
        val other = String(body).replace("payment-invoices", "widgets").toByteArray()
        assertNull(paycoreVerifyCallback(other, paycoreSignCallback(other, "sk_test_1"), "sk_test_1").ledgerEvent)

        val case = Vectors.cases("ecommpay_callback.json").first { it.str("id") == "cb-success" }
        val ecommpay = ecommpayVerifyCallback(case.str("body")!!.toByteArray(), case.str("secret")!!)
        // operation.date 2025-03-02T18:44:09+0000.
        assertEquals(LedgerEvent("ecommpay.payment", "INV-2025-004417", "success", 1740941049L), ecommpay.ledgerEvent)
        assertEquals(LedgerVerdict.DUPLICATE, ledgerDecide(ecommpay.ledgerEvent!!, "success", 1740941049L))
    }

    // ---- JdbcCallbackLedger against PostgreSQL ---------------------------------------------------

    private fun dataSource(): DataSource = Postgres.dataSource()

    private fun record(c: Connection, table: String, e: LedgerEvent) {
        c.prepareStatement("INSERT INTO $table (entity_id, status, time) VALUES (?, ?, ?)").use {
            it.setString(1, e.entityId)
            it.setString(2, e.status)
            it.setLong(3, e.time!!)
            it.executeUpdate()
        }
    }

    @Test
    fun tableNamesAreIdentifiers() {
        val ds = PGSimpleDataSource()
        assertEquals("polypay_callback_ledger", JdbcCallbackLedger(ds).table)
        assertEquals("shop.ledger_2", JdbcCallbackLedger(ds, "shop.ledger_2").table)
        for (bad in listOf("", "1ledger", "ledger; DROP TABLE x", "a.b.c", "\"quoted\"", "x".repeat(64))) {
            assertThrows<IllegalArgumentException> { JdbcCallbackLedger(ds, bad) }
        }
    }

    @Test
    fun appliesOnceAndRollsBackAFailedHandler() {
        val ds = dataSource()
        val ledger = JdbcCallbackLedger(ds)
        ledger.ensureSchema()
        ledger.ensureSchema()
        ds.exec("DELETE FROM polypay_callback_ledger WHERE entity_id IN ('cpi_basic', 'cpi_never')")
        ds.exec("DROP TABLE IF EXISTS orders_basic")
        ds.exec("CREATE TABLE orders_basic (id bigserial PRIMARY KEY, entity_id text, status text, time bigint)")

        val processed = event("processed", 100, id = "cpi_basic")
        val first = ledger.apply(processed) { c -> record(c, "orders_basic", processed); "paid" }
        assertEquals(LedgerOutcome(LedgerVerdict.APPLY, "paid"), first)
        assertTrue(first.applied)
        val again = ledger.apply(processed) { fail<String>("a duplicate must not run the handler") }
        assertEquals(LedgerOutcome<String>(LedgerVerdict.DUPLICATE, null), again)
        assertFalse(again.applied)
        assertEquals(LedgerVerdict.STALE, ledger.apply(event("created", 90, id = "cpi_basic")) { fail<Unit>("stale") }.verdict)

        // A failing handler: its write and the ledger's are rolled back, the error rethrown.
        val refunded = event("refunded", 200, id = "cpi_basic")
        val boom = assertThrows<IllegalStateException> {
            ledger.apply(refunded) { c -> record(c, "orders_basic", refunded); error("boom") }
        }
        assertEquals("boom", boom.message)
        val fresh = event("processed", 5, id = "cpi_never")
        assertThrows<IllegalStateException> { ledger.apply(fresh) { c -> record(c, "orders_basic", fresh); error("boom") } }
        assertEquals(listOf("processed:100"), ds.rows("SELECT status, time FROM orders_basic ORDER BY id") { "${it.getString(1)}:${it.getLong(2)}" })
        assertEquals(
            listOf("paycore.payment/cpi_basic/processed/100"),
            ds.rows("SELECT kind, entity_id, status, time, applied_at FROM polypay_callback_ledger WHERE entity_id IN ('cpi_basic', 'cpi_never') ORDER BY entity_id") {
                assertTrue(it.getTimestamp(5) != null)
                "${it.getString(1)}/${it.getString(2)}/${it.getString(3)}/${it.getLong(4)}"
            },
        )
        // The retry succeeds.
        assertTrue(ledger.apply(refunded) { c -> record(c, "orders_basic", refunded) }.applied)

        // An invalid event is the binding's error, and leaves nothing behind.
        assertThrows<PolypayException.InvalidInput> { ledger.apply(event("processed", 1, kind = "nope")) { fail<Unit>("invalid") } }
        assertEquals(0, ds.rows("SELECT 1 FROM polypay_callback_ledger WHERE kind = 'nope'") { it }.size)
    }

    /**
     * 8 workers, each on its own connections, take shuffled deliveries of 30 invoices (every
     * status of each lifecycle, most of them several times: duplicates and reordering), and their
     * handler fails a fifth of the time after writing (the delivery is retried later). Each
     * invoice must end at its last state, with exactly one merchant row per applied change, in
     * lifecycle order, and no two handlers of one invoice may ever run at once.
     */
    @Test
    fun manyWorkersApplyEachChangeExactlyOnce() {
        val ds = dataSource()
        ds.exec("DROP TABLE IF EXISTS ledger_concurrent, orders_concurrent")
        val ledger = JdbcCallbackLedger(ds, "ledger_concurrent")
        ledger.ensureSchema()
        ds.exec("CREATE TABLE orders_concurrent (id bigserial PRIMARY KEY, entity_id text, status text, time bigint)")

        val lifecycles = listOf(
            listOf("created", "processing", "processed"),
            listOf("created", "processing", "processed", "refunding", "refunded"),
            listOf("created", "process_pending", "process_failed"),
            listOf("created", "processing", "process_pending", "processed", "refund_pending", "partially_refunded", "refunded"),
            listOf("created", "processing", "expired"),
        )
        val random = Random(7)
        val invoices = (1..30).associate { n ->
            val start = 1_700_000_000L + n * 1000
            "cpi_$n" to lifecycles[n % lifecycles.size].mapIndexed { i, s -> event(s, start + i * 10 + random.nextInt(5), id = "cpi_$n") }
        }
        val deliveries = invoices.values.flatMap { states -> states.flatMap { e -> List(1 + random.nextInt(3)) { e } } }.shuffled(random)
        val queue = ConcurrentLinkedQueue(deliveries)

        val applied = ConcurrentHashMap.newKeySet<LedgerEvent>()
        val verdicts = ConcurrentHashMap<LedgerVerdict, AtomicInteger>()
        val inHandler = ConcurrentHashMap<String, AtomicInteger>()
        val overlaps = AtomicInteger()
        val failures = AtomicInteger()
        val errors = ConcurrentLinkedQueue<Throwable>()
        val workers = (1..8).map { w ->
            thread(name = "ledger-worker-$w") {
                val rnd = Random(100L + w)
                while (true) {
                    val e = queue.poll() ?: break
                    try {
                        val outcome = ledger.apply(e) { c ->
                            val running = inHandler.computeIfAbsent(e.entityId) { AtomicInteger() }
                            if (running.incrementAndGet() > 1) overlaps.incrementAndGet()
                            try {
                                record(c, "orders_concurrent", e)
                                Thread.sleep(rnd.nextInt(3).toLong())
                                if (rnd.nextInt(5) == 0) throw HandlerFailed()
                            } finally {
                                running.decrementAndGet()
                            }
                            e
                        }
                        verdicts.computeIfAbsent(outcome.verdict) { AtomicInteger() }.incrementAndGet()
                        if (outcome.applied) assertTrue(applied.add(outcome.result!!), "applied twice: $e")
                    } catch (x: HandlerFailed) {
                        failures.incrementAndGet()
                        queue.add(e) // the gateway delivers it again later
                    } catch (x: Throwable) {
                        errors.add(x)
                        queue.add(e)
                    }
                }
            }
        }
        workers.forEach { it.join() }
        errors.firstOrNull()?.let { throw AssertionError("a worker failed (${errors.size} errors)", it) }
        assertEquals(0, overlaps.get(), "two handlers of one invoice ran at once")
        assertTrue(failures.get() > 0 && (verdicts[LedgerVerdict.DUPLICATE]?.get() ?: 0) > 0 && (verdicts[LedgerVerdict.STALE]?.get() ?: 0) > 0, "$verdicts $failures")

        val rows = ds.rows("SELECT entity_id, status, time FROM orders_concurrent ORDER BY id") { LedgerEvent("paycore.payment", it.getString(1), it.getString(2), it.getLong(3)) }
        // Exactly one merchant row per applied change, and none for a failed handler.
        assertEquals(applied.size, rows.size)
        assertEquals(applied, rows.toSet())
        val ledgerRows = ds.rows("SELECT entity_id, status, time FROM ledger_concurrent WHERE kind = 'paycore.payment'") { LedgerEvent("paycore.payment", it.getString(1), it.getString(2), it.getLong(3)) }
            .associateBy { it.entityId }
        assertEquals(invoices.keys, ledgerRows.keys)
        for ((id, states) in invoices) {
            // The last state, in the ledger and as the shop's last change.
            assertEquals(states.last(), ledgerRows[id], id)
            val changes = rows.filter { it.entityId == id }
            assertEquals(states.last(), changes.last(), id)
            // Nothing regressed: the applied changes are the lifecycle's, in its order.
            val positions = changes.map { states.indexOf(it) }
            assertTrue(positions.all { it >= 0 } && positions.zipWithNext().all { (a, b) -> a < b }, "$id: $changes")
        }
    }
}
