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

    /// Seconds: a plain number, or a `$float` lexeme (`1e300`, `NaN`) read as a Double.
    var seconds: Double {
        if let i = int { return Double(i) }
        return Double(self["$float"]!.str!)!
    }

    /// The value as JSON text (a canned answer's body).
    var json: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .string(s):
            return String(decoding: try! JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed]), as: UTF8.self)
        case let .array(a): return "[" + a.map(\.json).joined(separator: ",") + "]"
        case let .object(o): return "{" + o.map { J.string($0.key).json + ":" + $0.value.json }.joined(separator: ",") + "}"
        }
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

    /// Until `finish()`, answers each connection's request with `server`'s status and JSON body
    /// (`Connection: close`, so connections are requests), and counts them.
    func answer(_ server: J) -> Answering {
        let body = Array(server["body"]!.json.utf8)
        let head = "HTTP/1.1 \(server["status"]!.int!) Canned\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Answering(fd: fd, response: Array(head.utf8) + body)
    }

    deinit { close(fd) }
}

/// A listener answering with a canned response on a thread of its own (see `Listener.answer`).
final class Answering: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var finished = false
    private var served = 0
    private let done = DispatchSemaphore(value: 0)

    init(fd: Int32, response: [UInt8]) {
        Thread { [self] in
            while !isStopped {
                // Linux: the accepted socket is blocking, whatever the listener's mode.
                let c = accept(fd, nil, nil)
                if c < 0 {
                    usleep(5000)
                    continue
                }
                var limit = timeval(tv_sec: 5, tv_usec: 0)
                _ = setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                Answering.readRequest(c)
                var sent = 0
                while sent < response.count {
                    let n = response[sent...].withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { break }
                    sent += n
                }
                _ = shutdown(c, Int32(SHUT_WR))
                close(c)
                lock.lock()
                served += 1
                lock.unlock()
            }
            done.signal()
        }.start()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// Stops answering; the number of requests answered.
    func finish() -> Int {
        lock.lock()
        let waiting = !finished
        stopped = true
        finished = true
        lock.unlock()
        if waiting { done.wait() }
        lock.lock()
        defer { lock.unlock() }
        return served
    }

    /// Reads one request (head and `Content-Length` body), so that closing after the answer does
    /// not reset the connection under unread bytes.
    static func readRequest(_ fd: Int32) {
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let crlf2: [UInt8] = [13, 10, 13, 10]
        while true {
            if data.count >= 4, let end = (0...(data.count - 4)).first(where: { Array(data[$0..<$0 + 4]) == crlf2 }) {
                let head = String(decoding: data[..<end], as: UTF8.self).lowercased()
                let length = head.components(separatedBy: "\r\n")
                    .first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if data.count >= end + 4 + length { return }
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return }
            data.append(contentsOf: chunk[0..<n])
        }
    }
}

/// The shared bad-input table (POLYPAY_BAD_INPUT, set by run-tests.sh like POLYPAY_VECTORS): each
/// case throws its documented `PolypayError` case and code, sends nothing to a local listener that
/// stands in for the gateway (a case with a `server` answer: exactly one request, answered with
/// that canned response), and shows no secret. Parameters cross as JSON text, so the special
/// inputs (float lexemes, NaN, 10,000-deep nesting) are written as text; timeouts are seconds
/// (Double), a `$float` lexeme read with `Double(_:)`.
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
        // Were anything sent, the call would end quickly and the connection be counted; a case's
        // own timeouts win.
        return try PayCoreClient(options: ClientOptions(
            publicKey: options["public_key"]?.str, accountId: options["account_id"]?.str,
            apiKey: options["api_key"]?.str, secretKey: options["secret_key"]?.str,
            env: env, baseUrl: base,
            timeout: options["timeout"]?.seconds ?? 2,
            requestTimeout: options["request_timeout"]?.seconds ?? 1,
            connectTimeout: options["connect_timeout"]?.seconds ?? ClientOptions().connectTimeout,
            maxRetries: 0))
    }

    func run(_ c: J, defaults: [String: J]) async throws {
        let i = c["input"]!
        let op = c["operation"]!.str!
        func json(_ key: String) throws -> String { try jsonText(i[key]!) }
        // A per-call timeout (seconds): this call's deadline.
        let timeout = i["timeout"]?.seconds
        func withDefaults() throws -> PayCoreClient {
            try client(defaults.merging(i["client"]?.obj ?? [:]) { $1 })
        }
        switch op {
        case "client.new": _ = try client(i["options"]!.obj)
        case "client.create_payment_invoice": _ = try await withDefaults().createPaymentInvoice(fieldsJson: json("request"), timeout: timeout)
        case "client.refund_payment_invoice":
            _ = try await withDefaults().refundPaymentInvoice(id: i["id"]!.str!, fieldsJson: json("request"), timeout: timeout)
        case "client.payment_prerequest": _ = try await withDefaults().paymentPrerequest(fieldsJson: json("request"), timeout: timeout)
        case "client.get_payment_invoice": _ = try await withDefaults().getPaymentInvoice(id: i["id"]!.str!, timeout: timeout)
        case "paycore.verify_callback":
            _ = try paycoreVerifyCallback(body: body(i["body"]!), signature: i["signature"]!.str!, secret: i["secret"]!.str!)
        case "paycore.hpp_url": _ = try paycoreHppUrl(paramsJson: json("params"), env: i["env"]?.str, baseUrl: i["base_url"]?.str)
        case "paycore.hpp_form":
            _ = try paycoreHppForm(paramsJson: json("params"), env: i["env"]?.str, baseUrl: i["base_url"]?.str, buttonLabel: "Pay")
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
            // A case with a `server` answer gets it; every other case is met with silence.
            let answering = c["server"].map { listener.answer($0) }
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
            // `sends: true`: exactly one request (the create, never sent again after the 409).
            var sends = false
            if case .bool(true)? = want["sends"] { sends = true }
            let sent = (answering?.finish() ?? 0) + listener.connections()
            XCTAssertEqual(sent, sends ? 1 : 0, sends ? "\(id): one request must reach the gateway" : "\(id): a bad input reached the gateway")
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
