// Hand-written companion of the generated bindings (package polypay): the SDK's log events
// (requests, failed attempts, retries, reconciliation) to a Kotlin lambda or java.util.logging.
package polypay

import java.util.logging.Level
import java.util.logging.Logger

/**
 * Global settings of the SDK. The log events are those of the Rust core, forwarded by the
 * library's `setLogger` ([PolypayLogger]): never a key or secret (the core puts none in its
 * events), and nothing formatted at all while no logger is set or below its level.
 */
object Polypay {
    /**
     * Sends the SDK's events at or above [minLevel] to [log], for every client of the process
     * (replacing the logger set before); `log = null` (or [clearLogger]) stops them.
     *
     * ```
     * Polypay.setLogger(LogLevel.DEBUG) { level, target, message -> println("$level $target: $message") }
     * ```
     *
     * [log] is called on the SDK's worker threads, sometimes from several at once: keep it
     * thread-safe and quick. `target` is `polypay`; `message` is the event's text and its fields
     * as ` name=value`, e.g. `response method=POST path=/api/payment-invoices status=201
     * request_id=Some("…") elapsed_ms=12`. An exception thrown by [log] drops that event only.
     * Levels: `DEBUG` every response and failed attempt, `INFO` reconciliation of a create whose
     * outcome was unknown.
     */
    fun setLogger(minLevel: LogLevel = LogLevel.INFO, log: ((level: LogLevel, target: String, message: String) -> Unit)?) {
        setLogger(log?.let { LambdaLogger(it) }, minLevel)
    }

    /** Stops forwarding the SDK's events. */
    fun clearLogger() = setLogger(null, LogLevel.INFO)

    /**
     * Forwards the SDK's events to [logger] of `java.util.logging` (by default the logger
     * `polypay`), as `FINEST` (trace), `FINE` (debug), `INFO`, `WARNING` and `SEVERE` records;
     * events below [minLevel] are not even formatted, and the logger's own level and handlers
     * apply as usual. SLF4J, Logback and Log4j 2 can take `java.util.logging` over with their
     * bridges (`jul-to-slf4j`, `log4j-jul`).
     */
    fun logToJavaUtilLogging(logger: Logger = Logger.getLogger("polypay"), minLevel: LogLevel = LogLevel.INFO) {
        setLogger(minLevel) { level, _, message -> logger.log(level.julLevel, message) }
    }

    private val LogLevel.julLevel: Level
        get() = when (this) {
            LogLevel.TRACE -> Level.FINEST
            LogLevel.DEBUG -> Level.FINE
            LogLevel.INFO -> Level.INFO
            LogLevel.WARN -> Level.WARNING
            LogLevel.ERROR -> Level.SEVERE
        }

    private class LambdaLogger(private val log: (LogLevel, String, String) -> Unit) : PolypayLogger {
        override fun log(level: LogLevel, target: String, message: String) {
            try {
                log.invoke(level, target, message)
            } catch (_: Exception) {
                // A failing logger must not fail the payment call: the event is dropped.
            }
        }
    }
}
