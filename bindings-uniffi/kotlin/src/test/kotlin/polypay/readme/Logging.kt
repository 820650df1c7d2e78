// A README sample (see Client.kt): ReadmeTest compares and runs it.
package polypay.readme

// readme-sample: kotlin-logging begin
import polypay.*

// Once, at start-up: the SDK's events at DEBUG and above (each response and failed attempt, with
// method, path, status, request id and time; reconciliations at INFO) go to `write`. They never
// carry a key or secret. Polypay.clearLogger() stops them.
fun logPolypayEvents(write: (String) -> Unit) {
    Polypay.setLogger(LogLevel.DEBUG) { level, target, message -> write("$level $target: $message") }
    // Or to java.util.logging, logger "polypay": Polypay.logToJavaUtilLogging(minLevel = LogLevel.DEBUG)
}
// readme-sample: kotlin-logging end
