package polypay

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.io.File
import javax.sql.DataSource

/** tests/vectors, from the `polypay.vectors` system property (set by the pom). */
object Vectors {
    private val dir = File(System.getProperty("polypay.vectors") ?: "../../tests/vectors")

    fun file(name: String): JsonObject = Json.parseToJsonElement(File(dir, name).readText()).jsonObject

    fun cases(name: String): List<JsonObject> = file(name)["cases"]!!.jsonArray.map { it.jsonObject }
}

fun JsonObject.str(key: String): String? = when (val v = this[key]) {
    null, is JsonNull -> null
    else -> v.jsonPrimitive.content
}

fun JsonObject.bool(key: String): Boolean? = (this[key] as? JsonPrimitive)?.content?.toBooleanStrictOrNull()

fun JsonObject.arr(key: String): JsonArray? = this[key] as? JsonArray


/**
 * `polypay sandbox` on a free port (the CLI from the `polypay.cli` system property), with its
 * base URL and PayCore test keys from `--print-config`; [close] stops it.
 */
class Sandbox : AutoCloseable {
    private val process: Process = ProcessBuilder(
        System.getProperty("polypay.cli") ?: "../../target/debug/polypay",
        "sandbox", "--port", "0", "--print-config", "--seed", "7",
    ).redirectError(ProcessBuilder.Redirect.DISCARD).start()
    private val config: JsonObject = Json.parseToJsonElement(
        process.inputStream.bufferedReader().readLine() ?: error("the sandbox did not start"),
    ).jsonObject
    private val http = java.net.http.HttpClient.newHttpClient()

    val baseUrl: String = config.str("base_url")!!
    val keys: JsonObject = config["paycore"]!!.jsonObject
    val ecommpay: JsonObject = config["ecommpay"]!!.jsonObject
    fun key(name: String): String = keys.str(name) ?: error("no $name in the sandbox config")

    /** An admin call (`/__sandbox/...`), e.g. `admin("POST", "/faults", rule)`. */
    fun admin(method: String, path: String, json: String? = null): String {
        val body = if (json == null) java.net.http.HttpRequest.BodyPublishers.noBody() else java.net.http.HttpRequest.BodyPublishers.ofString(json)
        val request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("$baseUrl/__sandbox$path"))
            .method(method, body)
            .header("content-type", "application/json")
            .build()
        val response = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() < 300) { "admin $method $path: ${response.statusCode()}" }
        return response.body()
    }

    /** GET of any URL: status and body. */
    fun get(url: String): Pair<Int, String> {
        val response = http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).GET().build(),
            java.net.http.HttpResponse.BodyHandlers.ofString(),
        )
        return response.statusCode() to response.body()
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly()
    }
}

/**
 * The PostgreSQL of tests/postgres/with-postgres (PGHOST, PGPORT, PGUSER, PGDATABASE), which
 * `make test-kotlin` runs the suite under. Without it the tests that need a database fail.
 */
object Postgres {
    fun dataSource(): DataSource {
        val host = System.getenv("PGHOST")
            ?: org.junit.jupiter.api.Assertions.fail<Nothing>(
                "PGHOST is not set: run the Kotlin tests under tests/postgres/with-postgres (e.g. `make test-kotlin`, " +
                    "or `../../tests/postgres/with-postgres mvn -q -B test` in bindings-uniffi/kotlin)",
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
