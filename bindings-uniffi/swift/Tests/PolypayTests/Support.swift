import Foundation
import XCTest
@testable import Polypay

/// tests/vectors (POLYPAY_VECTORS, set by run-tests.sh). Params are passed as their exact
/// `params_json` text, so JSONSerialization's loss of key order does not matter here.
enum Vectors {
    static let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["POLYPAY_VECTORS"] ?? "../../tests/vectors")

    static func file(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: dir.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func cases(_ name: String) throws -> [[String: Any]] {
        try file(name)["cases"] as! [[String: Any]]
    }
}

extension Dictionary where Key == String, Value == Any {
    func str(_ key: String) -> String? { self[key] as? String }
    func bool(_ key: String) -> Bool? { self[key] as? Bool }
}

/// Runs `body`, expecting a PolypayError; returns it.
func expectError(_ what: String, _ body: () throws -> Void) -> PolypayError? {
    do {
        try body()
        XCTFail("\(what): expected a PolypayError")
    } catch let e as PolypayError {
        return e
    } catch {
        XCTFail("\(what): unexpected \(error)")
    }
    return nil
}

func expectErrorAsync(_ what: String, _ body: () async throws -> Void) async -> PolypayError? {
    do {
        try await body()
        XCTFail("\(what): expected a PolypayError")
    } catch let e as PolypayError {
        return e
    } catch {
        XCTFail("\(what): unexpected \(error)")
    }
    return nil
}
