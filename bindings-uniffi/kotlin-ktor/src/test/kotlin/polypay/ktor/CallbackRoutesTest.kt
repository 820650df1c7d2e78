package polypay.ktor

import io.ktor.server.application.createRouteScopedPlugin
import io.ktor.server.application.install
import io.ktor.server.engine.EmbeddedServer
import io.ktor.server.engine.embeddedServer
import io.ktor.server.netty.Netty
import io.ktor.server.netty.NettyApplicationEngine
import io.ktor.server.request.receiveText
import io.ktor.server.routing.route
import io.ktor.server.routing.routing
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import polypay.JdbcCallbackLedger
import polypay.ecommpaySign
import polypay.paycoreSignCallback
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.sql.Connection
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import javax.sql.DataSource

/**
 * The PostgreSQL of tests/postgres/with-postgres (PGHOST, PGPORT, PGUSER, PGDATABASE), as in the
 * main module's Support.kt (whose test classes this module cannot see).
 */
object Postgres {
    fun dataSource(): DataSource {
        val host = System.getenv("PGHOST")
            ?: org.junit.jupiter.api.Assertions.fail<Nothing>(
                "PGHOST is not set: run these tests under tests/postgres/with-postgres (e.g. `make test-kotlin`, " +
                    "or `../../tests/postgres/with-postgres mvn -q -B test` in bindings-uniffi/kotlin-ktor)",
            )
        return org.postgresql.ds.PGSimpleDataSource().apply {
            serverNames = arrayOf(host)
            portNumbers = intArrayOf(System.getenv("PGPORT")?.toInt() ?: 5432)
            user = System.getenv("PGUSER") ?: "postgres"
            databaseName = System.getenv("PGDATABASE") ?: "postgres"
        }
    }

    fun DataSource.exec(sql: String) = connection.use { c -> c.createStatement().use { it.execute(sql) } }

    fun <T> DataSource.rows(sql: String, read: (java.sql.ResultSet) -> T): List<T> = connection.use { c ->
        c.createStatement().use { s -> s.executeQuery(sql).use { r -> buildList { while (r.next()) add(read(r)) } } }
    }
}

/** The routes over real HTTP (embedded Netty on a free port), the ledger on PostgreSQL. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CallbackRoutesTest {
    private val newKey = "sk_test_new"
    private val oldKey = "sk_test_old"
    private val db = Postgres.dataSource()
    private val ledger = JdbcCallbackLedger(db, "ktor_callback_ledger")
    private lateinit var server: EmbeddedServer<NettyApplicationEngine, NettyApplicationEngine.Configuration>
    private lateinit var base: String
    private val http = HttpClient.newHttpClient()

    /** Handler runs: (entity, status, whether it had a connection). */
    private val runs = CopyOnWriteArrayList<Triple<String, String, Boolean>>()
    private val failNext = AtomicInteger(0)

    private fun write(connection: Connection?, id: String, status: String) {
        connection!!.prepareStatement("UPDATE ktor_orders SET status = ? WHERE invoice_id = ?").use {
            it.setString(1, status)
            it.setString(2, id)
            it.executeUpdate()
        }
    }

    @BeforeAll
    fun start() {
        with(Postgres) {
            db.exec("DROP TABLE IF EXISTS ktor_orders, ktor_callback_ledger")
            db.exec("CREATE TABLE ktor_orders (invoice_id text PRIMARY KEY, status text)")
        }
        ledger.ensureSchema()
        val readsBody = createRouteScopedPlugin("ReadsTheBody") { onCall { call -> call.receiveText() } }
        server = embeddedServer(Netty, port = 0, host = "127.0.0.1") {
            routing {
                // Key rotation: the new key and the old one.
                paycoreCallback("/paycore", { listOf(newKey, oldKey) }, ledger) { event, connection ->
                    delay(1) // a suspend handler
                    write(connection, event.id, event.status)
                    if (failNext.getAndUpdate { if (it > 0) it - 1 else 0 } > 0) error("the shop's database is down")
                    runs += Triple(event.id, event.status, connection != null)
                }
                paycoreCallback("/paycore-plain", newKey) { event, connection ->
                    runs += Triple(event.id, event.status, connection != null)
                }
                ecommpayCallback("/ecommpay", { listOf(newKey, oldKey) }, ledger) { callback, connection ->
                    write(connection, callback.paymentId!!, callback.paymentStatus!!)
                    runs += Triple(callback.paymentId!!, callback.paymentStatus!!, connection != null)
                }
                route("/consumed") {
                    install(readsBody)
                    paycoreCallback("", newKey) { event, _ -> runs += Triple(event.id, event.status, false) }
                }
            }
        }.start(wait = false)
        val port = runBlocking { server.engine.resolvedConnectors().first().port }
        base = "http://127.0.0.1:$port"
    }

    @AfterAll
    fun stop() = server.stop(100, 1000)

    @BeforeEach
    fun clear() {
        runs.clear()
        failNext.set(0)
    }

    private fun paycoreBody(id: String, status: String, updated: Long) =
        """{"data":{"type":"payment-invoices","id":"$id","attributes":{"status":"$status","amount":1,"currency":"USD","updated":$updated}}}"""
            .toByteArray()

    data class Answer(val status: Int, val verdict: String?, val body: String)

    private fun post(path: String, body: ByteArray, signature: String? = null): Answer {
        val request = HttpRequest.newBuilder(URI.create(base + path))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .header("content-type", "application/json")
            .apply { if (signature != null) header(PAYCORE_SIGNATURE_HEADER, signature) }
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        return Answer(response.statusCode(), response.headers().firstValue(VERDICT_HEADER).orElse(null), response.body())
    }

    private fun deliver(id: String, status: String, updated: Long, key: String = newKey, path: String = "/paycore"): Answer {
        val body = paycoreBody(id, status, updated)
        return post(path, body, paycoreSignCallback(body, key))
    }

    private fun order(id: String, status: String = "new") = with(Postgres) {
        db.exec("INSERT INTO ktor_orders VALUES ('$id', '$status')")
    }

    private fun orderStatus(id: String) = with(Postgres) {
        db.rows("SELECT status FROM ktor_orders WHERE invoice_id = '$id'") { it.getString(1) }.single()
    }

    private fun ledgerStatus(id: String) = with(Postgres) {
        db.rows("SELECT status FROM ktor_callback_ledger WHERE entity_id = '$id'") { it.getString(1) }.singleOrNull()
    }

    @Test
    fun aDuplicateRunsTheHandlerOnce() {
        order("cpi_dup")
        assertEquals(Answer(200, "apply", "apply"), deliver("cpi_dup", "processed", 20))
        assertEquals(Answer(200, "duplicate", "duplicate"), deliver("cpi_dup", "processed", 20))
        assertEquals(listOf(Triple("cpi_dup", "processed", true)), runs.toList())
        assertEquals("processed", orderStatus("cpi_dup"))
        assertEquals("processed", ledgerStatus("cpi_dup"))
    }

    @Test
    fun aStaleDeliveryAfterTheFinalStateDoesNotRun() {
        order("cpi_stale")
        assertEquals("apply", deliver("cpi_stale", "processed", 20).verdict)
        val stale = deliver("cpi_stale", "process_pending", 10)
        assertEquals(Answer(200, "stale", "stale"), stale)
        assertEquals(listOf(Triple("cpi_stale", "processed", true)), runs.toList())
        assertEquals("processed", orderStatus("cpi_stale"))
    }

    @Test
    fun aFailingHandlerAnswers500RecordsNothingAndTheRedeliveryApplies() {
        order("cpi_fail")
        failNext.set(1)
        val failed = deliver("cpi_fail", "processed", 20)
        assertEquals(500, failed.status, failed.body)
        assertNull(failed.verdict)
        assertTrue(runs.isEmpty())
        // The handler's write was rolled back with the ledger row.
        assertEquals("new", orderStatus("cpi_fail"))
        assertNull(ledgerStatus("cpi_fail"))
        // The gateway delivers again: applied.
        assertEquals(Answer(200, "apply", "apply"), deliver("cpi_fail", "processed", 20))
        assertEquals("processed", orderStatus("cpi_fail"))
        assertEquals(listOf(Triple("cpi_fail", "processed", true)), runs.toList())
    }

    @Test
    fun bothKeysOfARotationAreAccepted() {
        order("cpi_rot")
        assertEquals("apply", deliver("cpi_rot", "process_pending", 10, key = oldKey).verdict)
        assertEquals("apply", deliver("cpi_rot", "processed", 20, key = newKey).verdict)
        assertEquals(listOf("process_pending", "processed"), runs.map { it.second })
    }

    @Test
    fun aWrongKeyOrNoSignatureIs400AndNothingRuns() {
        order("cpi_bad")
        val wrong = deliver("cpi_bad", "processed", 20, key = "sk_test_someone_else")
        assertEquals(400, wrong.status, wrong.body)
        assertTrue(wrong.body.startsWith("signature"), wrong.body)
        assertTrue(!wrong.body.contains(newKey) && !wrong.body.contains(oldKey), wrong.body)
        val unsigned = post("/paycore", paycoreBody("cpi_bad", "processed", 20))
        assertEquals(400, unsigned.status, unsigned.body)
        // Signed, but not a callback: 400 at once (the other key is not tried, nothing runs).
        val junk = "not json".toByteArray()
        assertEquals(400, post("/paycore", junk, paycoreSignCallback(junk, newKey)).status)
        assertTrue(runs.isEmpty())
        assertEquals("new", orderStatus("cpi_bad"))
        assertNull(ledgerStatus("cpi_bad"))
    }

    @Test
    fun withoutALedgerTheHandlerRunsEachTimeWithoutConnection() {
        assertEquals(Answer(200, "apply", "apply"), deliver("cpi_plain", "processed", 20, path = "/paycore-plain"))
        assertEquals(Answer(200, "apply", "apply"), deliver("cpi_plain", "processed", 20, path = "/paycore-plain"))
        assertEquals(List(2) { Triple("cpi_plain", "processed", false) }, runs.toList())
        assertEquals(400, deliver("cpi_plain", "processed", 20, key = oldKey, path = "/paycore-plain").status)
    }

    @Test
    fun aBodyReadBeforeTheRouteIsAnErrorThatSaysWhy() {
        val answer = deliver("cpi_consumed", "processed", 20, path = "/consumed")
        assertEquals(500, answer.status, answer.body)
        assertTrue("DoubleReceive" in answer.body && "raw" in answer.body, answer.body)
        assertTrue(runs.isEmpty())
    }

    private fun ecommpayBody(id: String, status: String, date: String, key: String): ByteArray {
        val params = """{"project_id":21075,"payment":{"id":"$id","type":"purchase","status":"$status","date":"$date",""" +
            """"method":"card","sum":{"amount":100,"currency":"EUR"}},"operation":{"id":1,"type":"sale","status":"$status",""" +
            """"date":"$date","code":"0","message":"Success"}"""
        return (params + "}").let { ecommpaySign(it, key) }.let { signature -> "$params,\"signature\":\"$signature\"}".toByteArray() }
    }

    @Test
    fun ecommpayCallbacksGoThroughTheLedgerToo() {
        order("ORD-ktor-1")
        val success = ecommpayBody("ORD-ktor-1", "success", "2025-03-02T18:44:09+0000", oldKey)
        assertEquals(Answer(200, "apply", "apply"), post("/ecommpay", success))
        assertEquals(Answer(200, "duplicate", "duplicate"), post("/ecommpay", success))
        assertEquals("success", orderStatus("ORD-ktor-1"))
        assertEquals(listOf(Triple("ORD-ktor-1", "success", true)), runs.toList())
        val forged = ecommpayBody("ORD-ktor-1", "success", "2025-03-02T18:44:09+0000", "sk_test_someone_else")
        assertEquals(400, post("/ecommpay", forged).status)
    }
}
