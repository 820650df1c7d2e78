import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Polypay

/// A value of tests/bad-input/cases.json. Inputs hold integers only (a float is `{"$float": …}`),
/// so no Double case is needed; key order does not matter to these cases.
indirect enum J: Decodable {
    case null, bool(Bool), int(Int64), string(String), array([J]), object([String: J])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .int(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([J].self) { self = .array(v) }
        else { self = .object(try c.decode([String: J].self)) }
    }

    subscript(key: String) -> J? {
        if case let .object(o) = self { return o[key] }
        return nil
    }

    var str: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    var int: Int64? {
        if case let .int(i) = self { return i }
        return nil
    }

    var obj: [String: J] {
        if case let .object(o) = self { return o }
        return [:]
    }
}

/// Accepts connections and never answers; what reached it is counted.
final class Listener {
    let fd: Int32
    let url: String

    init() {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                precondition(bind(fd, a, len) == 0 && listen(fd, 64) == 0 && getsockname(fd, a, &len) == 0)
            }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        url = "http://127.0.0.1:\(UInt16(bigEndian: addr.sin_port))"
    }

    func connections() -> Int {
        var n = 0
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return n }
            close(c)
            n += 1
        }
    }

    deinit { close(fd) }
}

/// The shared bad-input table (POLYPAY_BAD_INPUT, set by run-tests.sh like POLYPAY_VECTORS): each
/// case throws its documented `PolypayError` case and code, sends nothing to a local listener that
/// stands in for the gateway, and shows no secret. Parameters cross as JSON text, so the special
/// inputs (float lexemes, NaN, 10,000-deep nesting) are written as text.
final class BadInputTests: XCTestCase {
    static let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["POLYPAY_BAD_INPUT"] ?? "../../tests/bad-input")
    let listener = Listener()

    func table() throws -> J {
        try JSONDecoder().decode(J.self, from: Data(contentsOf: Self.dir.appendingPathComponent("cases.json")))
    }

    func deepText(_ depth: Int64) -> String {
        String(repeating: "{\"a\":", count: Int(depth)) + "\"x\"" + String(repeating: "}", count: Int(depth))
    }

    /// JSON text of an input value, with the special tags as raw lexemes.
    func jsonText(_ v: J) throws -> String {
        switch v {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .string(s):
            return String(decoding: try JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed]), as: UTF8.self)
        case let .array(a): return "[" + (try a.map(jsonText)).joined(separator: ",") + "]"
        case let .object(o):
            if let lexeme = o["$float"]?.str { return lexeme }
            if o["$nan"] != nil { return "NaN" }
            if let depth = o["$deep"]?.int { return deepText(depth) }
            return "{" + (try o.map { try jsonText(.string($0.key)) + ":" + jsonText($0.value) }).joined(separator: ",") + "}"
        }
    }

    /// Body bytes. A `$parsed` body is what a typed program can pass instead of the raw bytes:
    /// the document parsed and written back (JSONSerialization).
    func body(_ v: J) throws -> Data {
        if let s = v.str { return Data(s.utf8) }
        if let hex = v["$bytes_hex"]?.str {
            var bytes = [UInt8]()
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                bytes.append(UInt8(hex[i..<j], radix: 16)!)
                i = j
            }
            return Data(bytes)
        }
        if let unit = v["$repeat"]?.str, let count = v["count"]?.int {
            if unit.utf8.count == 1 { return Data(repeating: unit.utf8.first!, count: Int(count)) }
            return Data(String(repeating: unit, count: Int(count)).utf8)
        }
        if let depth = v["$deep"]?.int { return Data(deepText(depth).utf8) }
        if let raw = v["$parsed"]?.str {
            let parsed = try JSONSerialization.jsonObject(with: Data(raw.utf8))
            return try JSONSerialization.data(withJSONObject: parsed, options: [.sortedKeys])
        }
        throw NSError(domain: "BadInputTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "unknown body"])
    }

    func client(_ options: [String: J]) throws -> PayCoreClient {
        let env = options["env"]?.str
        let base = options["base_url"]?.str ?? (env == nil ? listener.url : nil)
        // Were anything sent, the call would end quickly and the connection be counted.
        return try PayCoreClient(options: ClientOptions(
            publicKey: options["public_key"]?.str, accountId: options["account_id"]?.str,
            apiKey: options["api_key"]?.str, secretKey: options["secret_key"]?.str,
            env: env, baseUrl: base, timeout: 2, requestTimeout: 1, maxRetries: 0))
    }

    func run(_ c: J, defaults: [String: J]) async throws {
        let i = c["input"]!
        let op = c["operation"]!.str!
        func json(_ key: String) throws -> String { try jsonText(i[key]!) }
        func withDefaults() throws -> PayCoreClient {
            try client(defaults.merging(i["client"]?.obj ?? [:]) { $1 })
        }
        switch op {
        case "client.new": _ = try client(i["options"]!.obj)
        case "client.create_payment_invoice": _ = try await withDefaults().createPaymentInvoice(fieldsJson: json("request"))
        case "client.refund_payment_invoice": _ = try await withDefaults().refundPaymentInvoice(id: i["id"]!.str!, fieldsJson: json("request"))
        case "client.payment_prerequest": _ = try await withDefaults().paymentPrerequest(fieldsJson: json("request"))
        case "client.get_payment_invoice": _ = try await withDefaults().getPaymentInvoice(id: i["id"]!.str!)
        case "paycore.verify_callback":
            _ = try paycoreVerifyCallback(body: body(i["body"]!), signature: i["signature"]!.str!, secret: i["secret"]!.str!)
        case "paycore.hpp_url": _ = try paycoreHppUrl(paramsJson: json("params"), env: i["env"]?.str, baseUrl: i["base_url"]?.str)
        case "ecommpay.verify_callback": _ = try ecommpayVerifyCallback(body: body(i["body"]!), secret: i["secret"]!.str!)
        case "ecommpay.sign": _ = try ecommpaySign(paramsJson: json("params"), secret: i["secret"]!.str!)
        case "ecommpay.gate", "ecommpay.gate.payment_page_url":
            let gate = try EcommpayGate(projectId: i["project_id"]!.int!, secretKey: i["secret_key"]!.str!, baseUrl: i["base_url"]?.str)
            if op == "ecommpay.gate.payment_page_url" { _ = try gate.paymentPageUrl(fieldsJson: json("payment")) }
        default: XCTFail("unknown operation \(op)")
        }
    }

    func testBadInputTable() async throws {
        let table = try table()
        guard case let .array(cases)? = table["cases"], case let .array(secrets)? = table["secrets"] else {
            return XCTFail("cases.json has no cases")
        }
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        for c in cases {
            let id = c["id"]!.str!
            let want = c["expect"]!.obj.merging(c["swift"]?.obj ?? [:]) { $1 }
            // e.g. a string that is not valid Unicode: a Swift String cannot hold it.
            if let reason = want["not_expressible"] {
                XCTAssertFalse(reason.str?.isEmpty ?? true, id)
                continue
            }
            do {
                try await run(c, defaults: table["client_defaults"]!.obj)
                XCTFail("\(id): did not fail")
            } catch let e as PolypayError {
                let d = e.details
                // The case is the kind: PolypayError.InvalidInput for invalid_input, ...
                let variant = want["kind"]!.str!.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
                XCTAssertEqual(Mirror(reflecting: e).children.first?.label, variant, "\(id): \(d.msg)")
                XCTAssertEqual(d.kind, want["kind"]!.str!, "\(id): \(d.msg)")
                XCTAssertEqual(d.code, want["code"]!.str!, "\(id): \(d.msg)")
                if let argument = want["argument"]?.str { XCTAssertEqual(d.argument, argument, "\(id): \(d.msg)") }
                let shown = "\(e) \(d)"
                for secret in secrets.compactMap({ $0.str }) { XCTAssertFalse(shown.contains(secret), "\(id): the error shows \(secret)") }
            } catch {
                XCTFail("\(id): not a PolypayError: \(error)")
            }
            XCTAssertEqual(listener.connections(), 0, "\(id): a bad input reached the gateway")
        }
    }

    func testTheListenerCountsARequestThatIsSent() async throws {
        let client = try client(try table()["client_defaults"]!.obj)
        do {
            _ = try await client.getPaymentInvoice(id: "cpi_BADINPUT")
            XCTFail("a request to a gateway that never answers succeeded")
        } catch let e as PolypayError {
            XCTAssertEqual(e.details.kind, "timeout", e.details.msg)
        }
        XCTAssertEqual(listener.connections(), 1)
    }
}
