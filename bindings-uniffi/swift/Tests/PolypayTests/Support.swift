import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
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

/// `polypay sandbox` on a free port (POLYPAY_CLI, set by run-tests.sh), with its base URL and
/// PayCore test keys from `--print-config`; `stop()` stops it.
final class Sandbox {
    let process = Process()
    let config: [String: Any]

    init() throws {
        let cli = ProcessInfo.processInfo.environment["POLYPAY_CLI"] ?? "../../target/debug/polypay"
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["sandbox", "--port", "0", "--print-config", "--seed", "7"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let first = line.split(separator: 0x0A).first ?? Data()
        config = try JSONSerialization.jsonObject(with: Data(first)) as! [String: Any]
    }

    var baseUrl: String { config["base_url"] as! String }

    func key(_ name: String) -> String { (config["paycore"] as! [String: Any])[name] as! String }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// One HTTP/1.0 exchange with the sandbox over a plain socket (no URLSession needed):
    /// status and body. `target` is a path or a URL under `baseUrl`.
    func http(_ method: String, _ target: String, body: String? = nil) throws -> (Int, String) {
        let path = target.hasPrefix(baseUrl) ? String(target.dropFirst(baseUrl.count)) : target
        let port = UInt16(baseUrl.split(separator: ":").last!)!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(connected == 0, "cannot connect to the sandbox")
        let payload = Array((body ?? "").utf8)
        let request = Array(("\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n\r\n").utf8) + payload
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            precondition(n > 0)
            sent += n
        }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ", maxSplits: 2)[1])!
        let bodyText = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, bodyText)
    }

    /// An admin call (`/__sandbox/...`), e.g. `admin("POST", "/faults", rule)`.
    @discardableResult
    func admin(_ method: String, _ path: String, _ json: String? = nil) throws -> String {
        let (status, body) = try http(method, "/__sandbox" + path, body: json)
        precondition(status < 300, "admin \(method) \(path): \(status) \(body)")
        return body
    }
}
