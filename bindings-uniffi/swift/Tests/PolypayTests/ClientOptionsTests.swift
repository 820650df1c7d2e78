import Foundation
import XCTest
@testable import Polypay

/// `ClientOptions` keeps its keys out of every text Swift makes of it (`description` and
/// `debugDescription` are the Rust `Display`/`Debug`, exported by uniffi; `dump` and `Mirror`
/// read `ClientOptions+Redacted.swift`), and refuses unusable times with a typed error.
final class ClientOptionsTests: XCTestCase {
    let apiKey = "api_key_SWIFT_NEVER_SHOWN_7f3a"
    let secretKey = "sk_test_SWIFT_NEVER_SHOWN_9c1d"

    /// Nothing listens on port 9 (discard) here: were a request sent, it would fail as Connection.
    func options(apiKey: String?? = .none, secretKey: String?? = .none) -> ClientOptions {
        ClientOptions(publicKey: "pk_test_visible", accountId: "coma_visible",
                      apiKey: apiKey ?? self.apiKey, secretKey: secretKey ?? self.secretKey,
                      baseUrl: "http://127.0.0.1:9", maxRetries: 0)
    }

    func assertNoSecret(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for secret in [apiKey, secretKey, "NEVER_SHOWN"] {
            XCTAssertFalse(text.contains(secret), "\(what) shows a secret: \(text)", file: file, line: line)
        }
    }

    struct Holder { let name: String; let options: ClientOptions }

    func testEveryTextOfTheOptionsRedactsTheKeys() {
        let options = options()
        var dumped = ""
        dump(options, to: &dumped)
        var dumpedHolder = ""
        dump(Holder(name: "x", options: options), to: &dumpedHolder)
        var printed = ""
        print(options, to: &printed)
        var debugPrinted = ""
        debugPrint(options, to: &debugPrinted)
        let mirror = Mirror(reflecting: options).children.map { "\($0.label ?? ""): \($0.value)" }.joined(separator: ", ")
        let texts: [(String, String)] = [
            ("description", options.description),
            ("debugDescription", options.debugDescription),
            ("String(describing:)", String(describing: options)),
            ("String(reflecting:)", String(reflecting: options)),
            ("interpolation", "options: \(options)"),
            ("print", printed),
            ("debugPrint", debugPrinted),
            ("dump", dumped),
            ("dump of an enclosing struct", dumpedHolder),
            ("enclosing struct", String(describing: Holder(name: "x", options: options))),
            ("array", [options, options].description),
            ("optional", String(describing: Optional(options))),
            ("dictionary", String(describing: ["client": options])),
            ("Mirror", mirror),
            ("NSError", NSError(domain: "app", code: 1, userInfo: [NSLocalizedDescriptionKey: "bad \(options)"]).localizedDescription),
        ]
        for (what, text) in texts {
            assertNoSecret(text, what)
            XCTAssertTrue(text.contains("<redacted>"), "\(what): \(text)")
        }
        // What is not secret still shows, and the presence of a key does.
        XCTAssertTrue(options.description.contains("pk_test_visible") && dumped.contains("coma_visible"), dumped)
        XCTAssertTrue(options.description.contains("api_key: Some(<redacted>)"), options.description)
        XCTAssertTrue(self.options(apiKey: .some(nil), secretKey: .some(nil)).description.contains("api_key: None"))
        // Still plain data: fields readable, equal by value.
        XCTAssertEqual(options.apiKey, apiKey)
        XCTAssertEqual(options, self.options())
        XCTAssertEqual(options.hashValue, self.options().hashValue)
    }

    func testErrorsShowNoKey() async {
        var errors: [PolypayError?] = [
            expectError("public key as secret key") { _ = try PayCoreClient(options: self.options(secretKey: "pk_test_SWIFT_NEVER_SHOWN_9c1d")) },
            expectError("api key with a newline") { _ = try PayCoreClient(options: self.options(apiKey: self.apiKey + "\n")) },
            expectError("NaN timeout") {
                var o = self.options()
                o.timeout = .nan
                _ = try PayCoreClient(options: o)
            },
        ]
        // Sent, and failed (nothing listens): the key was in the request headers.
        errors.append(await expectErrorAsync("connection") {
            _ = try await PayCoreClient(options: self.options()).balances(timeout: 2)
        })
        for error in errors {
            guard let error else { continue }
            var dumped = ""
            dump(error, to: &dumped)
            for text in [String(describing: error), String(reflecting: error), error.localizedDescription,
                         "\(error.details)", dumped] {
                assertNoSecret(text, "\(error.details.kind)")
            }
        }
    }

    func testAnUnknownEnvNamesTheValidOnesAndTheBaseUrl() {
        let e = expectError("env sandbox") { _ = try PayCoreClient(options: ClientOptions(env: "sandbox")) }
        guard case .InvalidInput = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(e?.details.code, "unknown_environment")
        XCTAssertEqual(e?.details.argument, "env")
        for name in ["\"paycore\"", "\"corefy\"", "\"paymega\"", "base URL"] {
            XCTAssertTrue(e!.details.msg.contains(name), e!.details.msg)
        }
        let params = #"{"public_key":"pk_test_x","amount":"1","currency":"USD"}"#
        XCTAssertNotNil(expectError("hpp env sandbox") { _ = try paycoreHppUrl(paramsJson: params, env: "sandbox") })
        XCTAssertTrue(try paycoreHppUrl(paramsJson: params, env: "paymega").hasPrefix("https://api.paymega.io/hpp/"))
    }

    let badTimes: [Double] = [.nan, -1, -0.0, 0, 1e-300, .leastNonzeroMagnitude, 86_400.5, 1e19, 1e300,
                              .greatestFiniteMagnitude, .infinity, -.infinity]

    func assertInvalidTime(_ argument: String, _ value: Double, _ error: PolypayError?, line: UInt = #line) {
        guard case .InvalidInput = error else { return XCTFail("\(argument) = \(value): \(String(describing: error))", line: line) }
        XCTAssertEqual(error?.details.code, "invalid_timeout", "\(argument) = \(value)", line: line)
        XCTAssertEqual(error?.details.argument, argument, "\(argument) = \(value)", line: line)
        XCTAssertNil(error?.details.httpStatus, line: line)
    }

    func testUnusableTimesAreInvalidInputNeverACrash() async throws {
        let fields: [(String, WritableKeyPath<ClientOptions, Double?>)] = [
            ("timeout", \.timeout), ("request_timeout", \.requestTimeout), ("connect_timeout", \.connectTimeout),
        ]
        for value in badTimes {
            for (name, field) in fields {
                var o = options()
                o[keyPath: field] = value
                assertInvalidTime(name, value, expectError(name) { _ = try PayCoreClient(options: o) })
            }
        }
        let client = try PayCoreClient(options: options())
        for value in badTimes {
            assertInvalidTime("timeout", value, await expectErrorAsync("balances") { _ = try await client.balances(timeout: value) })
            assertInvalidTime("timeout", value, await expectErrorAsync("get") { _ = try await client.getPaymentInvoice(id: "cpi_1", timeout: value) })
            assertInvalidTime("timeout", value, await expectErrorAsync("create") {
                _ = try await client.createPaymentInvoice(fieldsJson: #"{"service":"s","amount":"1.00","currency":"USD"}"#, timeout: value)
            })
        }
        // Usable times still work (the call reaches the network and fails there).
        _ = try PayCoreClient(options: ClientOptions(baseUrl: "http://127.0.0.1:9", timeout: 86_400, requestTimeout: 1e-9, connectTimeout: 0.5))
        let e = await expectErrorAsync("connection") { _ = try await client.balances(timeout: 2) }
        guard case .Connection = e else { return XCTFail("\(String(describing: e))") }
    }
}
