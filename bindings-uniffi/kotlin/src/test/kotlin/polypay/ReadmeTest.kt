package polypay

import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import polypay.readme.Payments
import polypay.readme.createInvoice
import polypay.readme.firstCallback
import polypay.readme.paymentLinks
import polypay.readme.startCheckout
import polypay.readme.createOrRemember
import polypay.readme.createWithin
import polypay.readme.logPolypayEvents
import polypay.readme.onPaidCallback
import polypay.readme.onCallback
import polypay.readme.paymentPageUrl
import polypay.Postgres.exec
import polypay.Postgres.rows
import java.io.File
import java.util.UUID
import java.util.concurrent.CopyOnWriteArrayList

/** A fenced code block of a README, and the `<!-- readme-sample: NAME -->` line above it. */
data class ReadmeBlock(val where: String, val lang: String, val name: String?, val text: String)

/** README code blocks and the tested regions they must equal (the same convention as the Swift suite). */
object Readmes {
    /** bindings-uniffi/ (the `polypay.uniffi` system property, set by the pom). */
    val root = File(System.getProperty("polypay.uniffi") ?: "..").canonicalFile
    /** The repository: its README.md (the front page) and docs/ (the documentation site). */
    val repo: File = root.parentFile
    private val marker = Regex("""^\s*<!--\s*readme-sample:\s*([\w.-]+)\s*-->\s*$""")
    private val region = Regex("""^\s*//\s*readme-sample:\s*([\w.-]+)\s+(begin|end)\s*$""")

    /**
     * Every README.md under bindings-uniffi/ (build output and hidden folders skipped), the
     * repository's README.md and every Markdown page of docs/.
     */
    fun files(): List<File> {
        fun walk(dir: File, wanted: (File) -> Boolean) = dir.walkTopDown()
            .onEnter { it == dir || !(it.name.startsWith(".") || it.name == "target" || it.name == "build") }
            .filter { it.isFile && wanted(it) }
            .toList()
        return (listOf(File(repo, "README.md")).filter { it.isFile } +
            walk(root) { it.name == "README.md" } +
            walk(File(repo, "docs")) { it.name.endsWith(".md") })
            .sortedBy { relative(it) }
    }

    /** A file's path from the repository root, as messages show it. */
    fun relative(file: File): String = repo.toPath().relativize(file.canonicalFile.toPath()).toString()

    fun blocks(file: File): List<ReadmeBlock> {
        val lines = file.readText().split("\n")
        val out = mutableListOf<ReadmeBlock>()
        var i = 0
        while (i < lines.size) {
            val open = lines[i].trim()
            if (!open.startsWith("```")) { i++; continue }
            val fence = open.takeWhile { it == '`' }
            val info = open.removePrefix(fence)
            // `` ```kotlin `` inside a line of text is code, not a fence (CommonMark: no backtick in the info string).
            if (fence.length < 3 || info.contains('`')) { i++; continue }
            val lang = info.trim().split(Regex("\\s+"))[0]
            val name = if (i > 0) marker.find(lines[i - 1])?.groupValues?.get(1) else null
            val start = i + 1
            var end = start
            while (end < lines.size && lines[end].trim() != fence) end++
            check(end < lines.size) { "${file.path}:${i + 1}: unclosed code block" }
            out += ReadmeBlock("${relative(file)}:${i + 1}", lang, name, dedent(lines.subList(start, end)))
            i = end + 1
        }
        return out
    }

    /** The `// readme-sample: NAME begin` ... `end` regions of the Kotlin test sources. */
    fun regions(dir: File): Map<String, String> {
        val found = mutableMapOf<String, String>()
        dir.walkTopDown().filter { it.isFile && it.name.endsWith(".kt") }.forEach { file ->
            var name: String? = null
            val body = mutableListOf<String>()
            file.readText().split("\n").forEachIndexed { n, line ->
                val m = region.find(line)
                when {
                    m == null -> if (name != null) body += line
                    m.groupValues[2] == "begin" -> {
                        check(name == null) { "${file.path}:${n + 1}: region ${m.groupValues[1]} inside $name" }
                        name = m.groupValues[1]
                        body.clear()
                    }
                    else -> {
                        check(name == m.groupValues[1]) { "${file.path}:${n + 1}: end of ${m.groupValues[1]} without its begin" }
                        check(found.put(name!!, dedent(body)) == null) { "region $name twice" }
                        name = null
                    }
                }
            }
            check(name == null) { "${file.path}: region $name has no end" }
        }
        return found
    }

    /** Lines without their common indentation, without leading and trailing blank lines. */
    fun dedent(lines: List<String>): String {
        val kept = lines.dropWhile { it.isBlank() }.dropLastWhile { it.isBlank() }
        val indent = kept.filter { it.isNotBlank() }.minOfOrNull { l -> l.length - l.trimStart().length } ?: 0
        return kept.joinToString("\n") { if (it.isBlank()) it.trimStart(' ', '\t') else it.substring(indent) }
    }
}

/**
 * Every ```kotlin block of every README under bindings-uniffi/, of the repository's README.md and
 * of every page of docs/ is tested code: it carries a
 * `<!-- readme-sample: NAME -->` line, equals the region NAME of src/test/kotlin/polypay/readme/
 * byte for byte (after removing the common indentation), and that region runs here against a
 * real `polypay sandbox`. A README that drifts from the code, or a sample that stops compiling or
 * working, fails `make test-kotlin`.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadmeTest {
    private val kotlinLangs = setOf("kotlin", "kt", "kts")
    private val samplesDir = File(Readmes.root, "kotlin/src/test/kotlin/polypay/readme")
    private lateinit var sandbox: Sandbox

    /** How each sample is run; every marked README block must have an entry. */
    private val runners: Map<String, () -> Unit> = mapOf(
        "kotlin-client" to ::runClient,
        "kotlin-hpp-callback" to ::runHppCallback,
        "kotlin-cancellation" to ::runCancellation,
        "kotlin-callback-ledger" to ::runCallbackLedger,
        "kotlin-logging" to ::runLogging,
        "kotlin-front" to ::runFront,
        "kotlin-links" to ::runLinks,
        "kotlin-callback" to ::runFirstCallback,
        "kotlin-app" to ::runApp,
    )

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
    }

    @AfterAll
    fun stop() = sandbox.close()

    private fun kotlinBlocks() = Readmes.files().flatMap { Readmes.blocks(it) }.filter { it.lang.lowercase() in kotlinLangs }

    @Test
    fun theReadmesHaveKotlinSamples() {
        val files = Readmes.files().map(Readmes::relative)
        val expected = listOf("README.md", "bindings-uniffi/kotlin/README.md", "docs/getting-started/kotlin.md")
        assertTrue(files.containsAll(expected), "$files")
        assertTrue(kotlinBlocks().size >= 2, "${kotlinBlocks()}")
    }

    @Test
    fun everyKotlinBlockIsAMarkedSample() {
        val unmarked = kotlinBlocks().filter { it.name == null }.map { it.where }
        assertEquals(emptyList<String>(), unmarked, "put <!-- readme-sample: NAME --> above each block and its code in $samplesDir")
        // A region may be shown on several pages, but once per page.
        val twice = kotlinBlocks().filter { it.name != null }.groupBy { it.where.substringBeforeLast(':') to it.name }
            .filterValues { it.size > 1 }.keys
        assertEquals(emptySet<Pair<String, String?>>(), twice, "a sample shown twice in one file")
    }

    @Test
    fun readmeBlocksEqualTheTestedCode() {
        val regions = Readmes.regions(samplesDir)
        for (block in kotlinBlocks().filter { it.name != null }) { // unmarked ones: everyKotlinBlockIsAMarkedSample
            val code = regions[block.name] ?: throw AssertionError("${block.where}: no region ${block.name} in $samplesDir")
            assertEquals(code, block.text, "${block.where}: the README block ${block.name} differs from its tested code")
        }
        val orphans = regions.keys - kotlinBlocks().mapNotNull { it.name }.toSet()
        assertEquals(emptySet<String>(), orphans, "tested regions that no README shows")
    }

    @Test
    fun everySampleRunsAgainstTheSandbox() {
        assertEquals(kotlinBlocks().mapNotNull { it.name }.toSet(), runners.keys)
        runners.forEach { (name, run) ->
            try {
                run()
            } catch (e: Throwable) {
                throw AssertionError("README sample $name failed: $e", e)
            }
        }
    }

    private fun ref() = "readme-" + UUID.randomUUID().toString().take(12)

    /**
     * What a reader has after `eval "$(polypay sandbox env)"`: the variables that command prints
     * for this test's sandbox (POLYPAY_BASE_URL, POLYPAY_API_KEY, ...), as the samples read them.
     */
    private val sandboxEnv: Map<String, String> by lazy {
        val process = ProcessBuilder(System.getProperty("polypay.cli") ?: "../../target/debug/polypay", "sandbox", "env", "--base-url", sandbox.baseUrl)
            .redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val out = process.inputStream.bufferedReader().readText()
        assertEquals(0, process.waitFor(), out)
        val line = Regex("""^export (POLYPAY_\w+)='([^']*)'$""")
        out.lines().filter { it.isNotBlank() }.associate { l ->
            val m = line.find(l) ?: throw AssertionError("polypay sandbox env: unexpected line $l")
            m.groupValues[1] to m.groupValues[2]
        }.also { assertEquals(sandbox.baseUrl, it["POLYPAY_BASE_URL"]) }
    }

    private fun runFront() = runBlocking {
        val payments = Payments(sandboxEnv)
        val invoice = payments.pay()
        assertTrue(invoice.id.startsWith("cpi_"), invoice.id)
        assertEquals(java.math.BigDecimal("100.55"), invoice.amount)
        // A callback as the gateway sends it: {"data": <the invoice>}, signed with the secret key.
        val body = """{"data":${invoice.rawJson}}""".toByteArray()
        val secretKey = sandboxEnv.getValue("POLYPAY_SECRET_KEY")
        val event = payments.onCallback(body, paycoreSignCallback(body, secretKey))
        assertEquals(invoice.id, event.id)
        assertThrows<PolypayException.Signature> { payments.onCallback(body, paycoreSignCallback(body, "sk_other")) }
        payments.client.close()
    }

    private fun runLinks() {
        val (hpp, page) = paymentLinks(sandboxEnv)
        assertTrue(hpp.startsWith(sandbox.baseUrl + "/hpp/"), hpp)
        assertTrue(page.startsWith(sandboxEnv.getValue("POLYPAY_ECOMMPAY_PAYMENT_PAGE_URL")), page)
        // Both pages open; the sandbox's ecommpay Payment Page checks the signature.
        for (url in listOf(hpp, page)) {
            val (status, text) = sandbox.get(url)
            assertEquals(200, status, "$url: $text")
            assertTrue(text.contains("100.55"), "$url: $text")
        }
        val (tampered, _) = sandbox.get(page.replace("payment_amount=10055", "payment_amount=1"))
        assertTrue(tampered >= 400, "a tampered Payment Page URL answered $tampered")
    }

    private fun runFirstCallback() = runBlocking {
        val event = firstCallback(sandboxEnv)
        assertTrue(event.isFinal && event.isSuccess, "$event")
        assertTrue(event.id.startsWith("cpi_"), event.id)
    }

    private fun runApp() = runBlocking {
        val url = startCheckout(sandboxEnv.getValue("POLYPAY_PUBLIC_KEY"), sandboxEnv.getValue("POLYPAY_BASE_URL"))
        assertTrue(url.startsWith(sandbox.baseUrl + "/hpp/"), url)
        val (status, page) = sandbox.get(url)
        assertEquals(200, status, page)
    }

    private fun runClient() = runBlocking {
        val accountId = sandbox.key("account_id")
        val apiKey = sandbox.key("api_key")
        val reference = ref()
        val invoice = createInvoice(sandbox.baseUrl, accountId, apiKey, reference)
        assertNotNull(invoice)
        assertTrue(invoice!!.id.startsWith("cpi_"), invoice.id)
        assertEquals(reference, invoice.referenceId)
        assertEquals(java.math.BigDecimal("100.55"), invoice.amount)

        // A 422: the Validation branch answers null.
        sandbox.admin("POST", "/faults", """{"route":"POST /api/payment-invoices","effect":{"status":422}}""")
        try {
            assertNull(createInvoice(sandbox.baseUrl, accountId, apiKey, ref()))
        } finally {
            sandbox.admin("DELETE", "/faults")
        }
        // Any other error is rethrown.
        assertThrows<PolypayException.Authentication> { runBlocking { createInvoice(sandbox.baseUrl, accountId, "wrong_key", ref()) } }
        Unit
    }

    private fun runHppCallback() {
        val url = paymentPageUrl(sandbox.baseUrl, sandbox.key("public_key_test"))
        assertTrue(url.startsWith(sandbox.baseUrl + "/hpp/"), url)
        val (status, page) = sandbox.get(url)
        assertEquals(200, status, page)
        assertTrue(page.contains("100.55"), page)

        val secretKey = sandbox.key("secret_key_test")
        val body = """{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"processed","resolution":"ok","amount":1,"currency":"USD"}}}""".toByteArray()
        assertTrue(onCallback(body, paycoreSignCallback(body, secretKey), secretKey))
        val pending = String(body).replace("processed", "process_pending").toByteArray()
        assertFalse(onCallback(pending, paycoreSignCallback(pending, secretKey), secretKey))
        assertThrows<PolypayException.Signature> { onCallback(body, paycoreSignCallback(pending, secretKey), secretKey) }
    }

    /** Against the PostgreSQL of tests/postgres/with-postgres (no sandbox needed). */
    private fun runCallbackLedger() {
        val db = Postgres.dataSource()
        db.exec("DROP TABLE IF EXISTS orders, readme_ledger")
        db.exec("CREATE TABLE orders (invoice_id text PRIMARY KEY, status text)")
        db.exec("INSERT INTO orders VALUES ('cpi_readme', 'new')")
        val ledger = JdbcCallbackLedger(db, "readme_ledger").apply { ensureSchema() }
        val secretKey = "sk_test_readme"
        fun deliver(status: String, updated: Long): LedgerVerdict? {
            val body = """{"data":{"type":"payment-invoices","id":"cpi_readme","attributes":{"status":"$status","amount":1,"currency":"USD","updated":$updated}}}""".toByteArray()
            return onPaidCallback(ledger, body, paycoreSignCallback(body, secretKey), secretKey)
        }
        fun status() = db.rows("SELECT status FROM orders WHERE invoice_id = 'cpi_readme'") { it.getString(1) }.single()
        assertEquals(LedgerVerdict.APPLY, deliver("processed", 20))
        assertEquals("processed", status())
        assertEquals(LedgerVerdict.DUPLICATE, deliver("processed", 20))
        assertEquals(LedgerVerdict.STALE, deliver("created", 10))
        assertEquals("processed", status())
        assertEquals(LedgerVerdict.APPLY, deliver("refunded", 30))
        assertEquals(LedgerVerdict.STALE, deliver("processed", 40))
        assertEquals("refunded", status())
        val other = """{"data":{"type":"widgets","id":"w_1","attributes":{"status":"done"}}}""".toByteArray()
        assertNull(onPaidCallback(ledger, other, paycoreSignCallback(other, secretKey), secretKey))
        assertThrows<PolypayException.Signature> { onPaidCallback(ledger, other, paycoreSignCallback(other, "sk_other"), secretKey) }
    }

    private fun runLogging() = runBlocking {
        val lines = CopyOnWriteArrayList<String>()
        val apiKey = sandbox.key("api_key")
        val client = PayCoreClient(ClientOptions(baseUrl = sandbox.baseUrl, accountId = sandbox.key("account_id"), apiKey = apiKey))
        try {
            logPolypayEvents(lines::add)
            client.balances()
            assertTrue(lines.any { it.startsWith("DEBUG polypay: response method=GET") }, "$lines")
            assertTrue(lines.none { apiKey in it }, "$lines")
        } finally {
            Polypay.clearLogger()
            client.close()
        }
        lines.clear()
        PayCoreClient(ClientOptions(baseUrl = sandbox.baseUrl, accountId = sandbox.key("account_id"), apiKey = apiKey)).use { it.balances() }
        assertEquals(emptyList<String>(), lines.toList())
    }

    private fun runCancellation() = runBlocking {
        val client = PayCoreClient(ClientOptions(baseUrl = sandbox.baseUrl, accountId = sandbox.key("account_id"), apiKey = sandbox.key("api_key")))
        val fields = """{"service":"test_usd_test","amount":"100.55","currency":"USD","service_fields":{"status":"success"}}"""
        // The next create answers 1.5 s late (and is committed even if the client left).
        val slow = """{"route":"POST /api/payment-invoices","nth":1,"effect":{"delay_ms":1500}}"""
        val later = CopyOnWriteArrayList<String>()
        try {
            sandbox.admin("POST", "/faults", slow)
            assertNull(createWithin(client, fields, 200, later::add))
            assertEquals(1, later.size)

            sandbox.admin("POST", "/faults", slow)
            val job = launch { createOrRemember(client, fields, later::add) }
            delay(200)
            job.cancel()
            job.join()
            assertTrue(job.isCancelled)
            assertEquals(2, later.size)
            assertTrue(later.all { it.length == 36 }, "$later") // generated reference ids

            // Not cancelled: the invoice, nothing to remember.
            assertNotNull(createWithin(client, fields, 10_000) { error("nothing to reconcile: $it") })
            assertTrue(createOrRemember(client, fields) { error("nothing to reconcile: $it") }.id.startsWith("cpi_"))
        } finally {
            sandbox.admin("DELETE", "/faults")
        }
        // The remembered creates landed after the delay: reconciled by reference id.
        for (reference in later) {
            var found = client.findPaymentInvoice(reference)
            for (attempt in 1..50) {
                if (found != null) break
                delay(100)
                found = client.findPaymentInvoice(reference)
            }
            assertEquals(reference, found?.referenceId)
        }
        client.close()
    }
}
