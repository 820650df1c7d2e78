import Foundation
import XCTest
@testable import Polypay

/// Collects the SDK's log events (called on the library's worker threads).
final class CollectingLogger: PolypayLogger, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(LogLevel, String, String)] = []

    func log(level: LogLevel, target: String, message: String) {
        lock.lock()
        lines.append((level, target, message))
        lock.unlock()
    }

    func take() -> [(LogLevel, String, String)] {
        lock.lock()
        defer { lines = []; lock.unlock() }
        return lines
    }
}

/// `setLogger(logger:minLevel:)` against `polypay sandbox`: a call's request events, no secrets,
/// and nothing once the logger is removed.
final class LoggingTests: XCTestCase {
    var sandbox: Sandbox!

    // Started and stopped around the test, as in the other suites (a stop at the end of the
    // async test itself, while its client still held a connection to the sandbox, never returned).
    override func setUpWithError() throws { sandbox = try Sandbox() }

    override func tearDown() {
        setLogger(logger: nil, minLevel: .debug)
        sandbox?.stop()
    }

    func testAClientCallLogsItsRequestsWithoutTheKeysUntilTheLoggerIsRemoved() async throws {
        let apiKey = sandbox.key("api_key")
        let secretKey = sandbox.key("secret_key_test")
        let client = try PayCoreClient(options: ClientOptions(
            accountId: sandbox.key("account_id"), apiKey: apiKey, secretKey: secretKey,
            baseUrl: sandbox.baseUrl))
        let logger = CollectingLogger()

        setLogger(logger: logger, minLevel: .debug)
        _ = try await client.balances()
        let lines = logger.take()
        XCTAssertTrue(lines.contains { $0.0 == .debug && $0.1 == "polypay" && $0.2.hasPrefix("response method=GET") },
                      "\(lines)")
        for (_, _, message) in lines {
            XCTAssertFalse(message.contains(apiKey), message)
            XCTAssertFalse(message.contains(secretKey), message)
            XCTAssertFalse(message.contains("Basic "), message)
        }

        // Above the level: the debug events are not forwarded.
        setLogger(logger: logger, minLevel: .info)
        _ = try await client.balances()
        XCTAssertTrue(logger.take().isEmpty)

        setLogger(logger: nil, minLevel: .debug)
        _ = try await client.balances()
        XCTAssertTrue(logger.take().isEmpty)
    }
}
