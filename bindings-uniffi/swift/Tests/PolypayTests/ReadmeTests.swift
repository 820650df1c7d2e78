import Foundation
import XCTest
@testable import Polypay

/// A fenced code block of a README, and the `<!-- readme-sample: NAME -->` line above it.
struct ReadmeBlock {
    let location: String
    let lang: String
    let name: String?
    let text: String
}

/// README code blocks and the tested regions they must equal (the same convention as the Kotlin
/// suite's ReadmeTest.kt).
enum Readmes {
    /// The repository's README.md, the README.md files of bindings-uniffi/ and the pages of docs/,
    /// with their folders (POLYPAY_READMES, copied by run-tests.sh; the repository when run by
    /// hand from bindings-uniffi/swift/).
    static let root = URL(fileURLWithPath: ProcessInfo.processInfo.environment["POLYPAY_READMES"] ?? "../..")
    /// Tests/PolypayTests/ReadmeSamples, next to this file.
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ReadmeSamples")

    /// README.md, bindings-uniffi/**/README.md (build output and hidden folders skipped) and docs/**/*.md.
    static func files() -> [URL] {
        let skipped: Set<String> = ["target", "build", ".build"]
        func walk(_ dir: URL, _ wanted: (URL) -> Bool) -> [URL] {
            var found: [URL] = []
            guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
            while let url = walker.nextObject() as? URL {
                if skipped.contains(url.lastPathComponent) || url.lastPathComponent.hasPrefix(".") {
                    walker.skipDescendants()
                } else if wanted(url) {
                    found.append(url)
                }
            }
            return found
        }
        let front = root.appendingPathComponent("README.md")
        let found = (FileManager.default.fileExists(atPath: front.path) ? [front] : [])
            + walk(root.appendingPathComponent("bindings-uniffi")) { $0.lastPathComponent == "README.md" }
            + walk(root.appendingPathComponent("docs")) { $0.pathExtension == "md" }
        return found.sorted { relative($0) < relative($1) }
    }

    static func relative(_ url: URL) -> String {
        let base = root.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
    }

    static func lines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
    }

    static func match(_ pattern: String, _ line: String) -> [String]? {
        let re = try! NSRegularExpression(pattern: pattern)
        let range = NSRange(line.startIndex..., in: line)
        guard let m = re.firstMatch(in: line, range: range) else { return nil }
        return (1..<m.numberOfRanges).map { String(line[Range(m.range(at: $0), in: line)!]) }
    }

    static func blocks(_ url: URL) throws -> [ReadmeBlock] {
        let lines = try lines(url)
        var out: [ReadmeBlock] = []
        var i = 0
        while i < lines.count {
            let open = lines[i].trimmingCharacters(in: .whitespaces)
            guard open.hasPrefix("```") else { i += 1; continue }
            let fence = String(open.prefix { $0 == "`" })
            let info = open.dropFirst(fence.count)
            // `` ```swift `` inside a line of text is code, not a fence (CommonMark: no backtick in the info string).
            if info.contains("`") { i += 1; continue }
            let lang = info.trimmingCharacters(in: .whitespaces)
                .split(separator: " ").first.map(String.init) ?? ""
            let name = i > 0 ? match(#"^\s*<!--\s*readme-sample:\s*([\w.-]+)\s*-->\s*$"#, lines[i - 1])?[0] : nil
            var end = i + 1
            while end < lines.count && lines[end].trimmingCharacters(in: .whitespaces) != fence { end += 1 }
            precondition(end < lines.count, "\(relative(url)):\(i + 1): unclosed code block")
            out.append(ReadmeBlock(location: "\(relative(url)):\(i + 1)", lang: lang, name: name,
                                   text: dedent(Array(lines[(i + 1)..<end]))))
            i = end + 1
        }
        return out
    }

    /// The `// readme-sample: NAME begin` ... `end` regions of the Swift files in `dir`.
    static func regions(_ dir: URL) throws -> [String: String] {
        var found: [String: String] = [:]
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "swift" }
        for file in files {
            var name: String?
            var body: [String] = []
            for (n, line) in try lines(file).enumerated() {
                guard let m = match(#"^\s*//\s*readme-sample:\s*([\w.-]+)\s+(begin|end)\s*$"#, line) else {
                    if name != nil { body.append(line) }
                    continue
                }
                if m[1] == "begin" {
                    precondition(name == nil, "\(file.path):\(n + 1): region \(m[0]) inside \(name!)")
                    name = m[0]
                    body = []
                } else {
                    precondition(name == m[0], "\(file.path):\(n + 1): end of \(m[0]) without its begin")
                    precondition(found[m[0]] == nil, "region \(m[0]) twice")
                    found[m[0]] = dedent(body)
                    name = nil
                }
            }
            precondition(name == nil, "\(file.path): region \(name!) has no end")
        }
        return found
    }

    /// Lines without their common indentation, without leading and trailing blank lines.
    static func dedent(_ lines: [String]) -> String {
        let blank = { (l: String) in l.allSatisfy { $0 == " " || $0 == "\t" } }
        var kept = Array(lines.drop(while: blank))
        while let last = kept.last, blank(last) { kept.removeLast() }
        let indent = kept.filter { !blank($0) }.map { $0.prefix { $0 == " " || $0 == "\t" }.count }.min() ?? 0
        return kept.map { blank($0) ? "" : String($0.dropFirst(indent)) }.joined(separator: "\n")
    }
}

/// Every ```swift block of every README under bindings-uniffi/, of the repository's README.md and
/// of every page of docs/ is tested code: it carries a
/// `<!-- readme-sample: NAME -->` line, equals the region NAME of Tests/PolypayTests/ReadmeSamples/
/// byte for byte (after removing the common indentation), and that region runs here against a
/// real `polypay sandbox`. A README that drifts from the code, or a sample that stops compiling or
/// working, fails `make test-swift`.
final class ReadmeTests: XCTestCase {
    var sandbox: Sandbox!

    /// How each sample is run; every marked README block must have an entry.
    lazy var runners: [String: () async throws -> Void] = [
        "swift-client": { try await self.runClient() },
        "swift-hpp-callback": { try await self.runHppCallback() },
        "swift-cancellation": { try await self.runCancellation() },
        "swift-front": { try await self.runFront() },
        "swift-links": { try await self.runLinks() },
        "swift-app": { try await self.runApp() },
        "swift-package": { try self.runPackage() },
    ]

    override func setUpWithError() throws {
        sandbox = try Sandbox()
    }

    override func tearDown() {
        sandbox?.stop()
    }

    func swiftBlocks() throws -> [ReadmeBlock] {
        try Readmes.files().flatMap { try Readmes.blocks($0) }.filter { $0.lang.lowercased() == "swift" }
    }

    func testTheReadmesHaveSwiftSamples() throws {
        let files = Readmes.files().map(Readmes.relative)
        for expected in ["README.md", "bindings-uniffi/swift/README.md", "docs/getting-started/swift.md"] {
            XCTAssertTrue(files.contains(expected), "\(expected) not in \(files)")
        }
        XCTAssertGreaterThanOrEqual(try swiftBlocks().count, 2)
    }

    func testEverySwiftBlockIsAMarkedSample() throws {
        let unmarked = try swiftBlocks().filter { $0.name == nil }.map(\.location)
        XCTAssertEqual(unmarked, [], "put <!-- readme-sample: NAME --> above each block and its code in \(Readmes.samples.path)")
        // A region may be shown on several pages, but once per page.
        let shown = try swiftBlocks().compactMap { b in b.name.map { "\(b.location.split(separator: ":")[0]) \($0)" } }
        XCTAssertEqual(Set(shown).count, shown.count, "a sample shown twice in one file: \(shown)")
    }

    func testReadmeBlocksEqualTheTestedCode() throws {
        let regions = try Readmes.regions(Readmes.samples)
        let blocks = try swiftBlocks()
        for block in blocks where block.name != nil { // unmarked ones: testEverySwiftBlockIsAMarkedSample
            guard let code = regions[block.name!] else {
                XCTFail("\(block.location): no region \(block.name!) in \(Readmes.samples.path)")
                continue
            }
            XCTAssertEqual(code, block.text, "\(block.location): the README block \(block.name!) differs from its tested code")
        }
        XCTAssertEqual(Set(regions.keys).subtracting(blocks.compactMap(\.name)), [], "tested regions that no README shows")
    }

    func testEverySampleRunsAgainstTheSandbox() async throws {
        XCTAssertEqual(Set(try swiftBlocks().compactMap(\.name)), Set(runners.keys))
        for (name, run) in runners.sorted(by: { $0.key < $1.key }) {
            do {
                try await run()
            } catch {
                XCTFail("README sample \(name) failed: \(error)")
            }
        }
    }

    func ref() -> String { "readme-" + UUID().uuidString.prefix(12) }

    /// What a reader has after `eval "$(polypay sandbox env)"`: the variables that command prints
    /// for this test's sandbox (POLYPAY_BASE_URL, POLYPAY_API_KEY, ...), as the samples read them.
    func sandboxEnv() throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["POLYPAY_CLI"] ?? "../../target/debug/polypay")
        process.arguments = ["sandbox", "env", "--base-url", sandbox.baseUrl]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let m = Readmes.match(#"^export (POLYPAY_\w+)='([^']*)'$"#, String(line)) else {
                throw NSError(domain: "polypay sandbox env", code: 1, userInfo: [NSLocalizedDescriptionKey: "unexpected line \(line)"])
            }
            env[m[0]] = m[1]
        }
        XCTAssertEqual(env["POLYPAY_BASE_URL"], sandbox.baseUrl)
        return env
    }

    func runFront() async throws {
        let env = try sandboxEnv()
        let payments = try Payments(env: env)
        let invoice = try await payments.pay()
        XCTAssertTrue(invoice.id.hasPrefix("cpi_"), invoice.id)
        XCTAssertEqual(invoice.amount, Decimal(string: "100.55"))
        // A callback as the gateway sends it: {"data": <the invoice>}, signed with the secret key.
        let body = Data(#"{"data":\#(invoice.rawJson)}"#.utf8)
        let event = try payments.onCallback(body: body, xSignature: try paycoreSignCallback(body: body, secret: env["POLYPAY_SECRET_KEY"]!))
        XCTAssertEqual(event.id, invoice.id)
        let bad = expectError("wrong key") {
            _ = try payments.onCallback(body: body, xSignature: try paycoreSignCallback(body: body, secret: "sk_other"))
        }
        guard case .Signature = bad else { return XCTFail("\(String(describing: bad))") }
    }

    func runLinks() async throws {
        let env = try sandboxEnv()
        let links = try paymentLinks(env: env)
        XCTAssertEqual(links.count, 2)
        XCTAssertTrue(links[0].hasPrefix(sandbox.baseUrl + "/hpp/"), links[0])
        XCTAssertTrue(links[1].hasPrefix(env["POLYPAY_ECOMMPAY_PAYMENT_PAGE_URL"]!), links[1])
        // Both pages open; the sandbox's ecommpay Payment Page checks the signature.
        for url in links {
            let (status, page) = try sandbox.http("GET", url)
            XCTAssertEqual(status, 200, "\(url): \(page)")
            XCTAssertTrue(page.contains("100.55"), "\(url): \(page)")
        }
        let (tampered, _) = try sandbox.http("GET", links[1].replacingOccurrences(of: "payment_amount=10055", with: "payment_amount=1"))
        XCTAssertGreaterThanOrEqual(tampered, 400, "a tampered Payment Page URL was accepted")
    }

    func runApp() async throws {
        let env = try sandboxEnv()
        let url = try await startCheckout(publicKey: env["POLYPAY_PUBLIC_KEY"]!, baseUrl: env["POLYPAY_BASE_URL"])
        XCTAssertTrue(url?.hasPrefix(sandbox.baseUrl + "/hpp/") == true, "\(String(describing: url))")
        let (status, page) = try sandbox.http("GET", url!)
        XCTAssertEqual(status, 200, page)
    }

    /// The Package.swift lines name the product and package that packaging/swift/make-package.sh writes.
    func runPackage() throws {
        XCTAssertEqual(consumerManifest.dependencies.map(\.path), ["../dist/swift/polypay-swift"])
        let product = consumerManifest.targets.first?.dependencies.first
        XCTAssertEqual(product?.name, "Polypay") // the library product of Package.swift
        XCTAssertEqual(product?.package, "polypay-swift") // the package's identity: its folder's name
    }

    func runClient() async throws {
        let accountId = sandbox.key("account_id"), apiKey = sandbox.key("api_key")
        let reference = ref()
        let invoice = try await createInvoice(baseUrl: sandbox.baseUrl, accountId: accountId, apiKey: apiKey, referenceId: reference)
        XCTAssertTrue(invoice?.id.hasPrefix("cpi_") == true, "\(String(describing: invoice))")
        XCTAssertEqual(invoice?.referenceId, reference)
        XCTAssertEqual(invoice?.amount, Decimal(string: "100.55"))

        // A 422: the Validation branch answers nil.
        try sandbox.admin("POST", "/faults", #"{"route":"POST /api/payment-invoices","effect":{"status":422}}"#)
        let refused = try await createInvoice(baseUrl: sandbox.baseUrl, accountId: accountId, apiKey: apiKey, referenceId: ref())
        try sandbox.admin("DELETE", "/faults")
        XCTAssertNil(refused)
        // Any other error is rethrown.
        let auth = await expectErrorAsync("wrong key") {
            _ = try await createInvoice(baseUrl: self.sandbox.baseUrl, accountId: accountId, apiKey: "wrong_key", referenceId: self.ref())
        }
        guard case .Authentication = auth else { return XCTFail("\(String(describing: auth))") }
    }

    func runHppCallback() async throws {
        let url = try paymentPageUrl(baseUrl: sandbox.baseUrl, publicKey: sandbox.key("public_key_test"))
        XCTAssertTrue(url.hasPrefix(sandbox.baseUrl + "/hpp/"), url)
        let (status, page) = try sandbox.http("GET", url)
        XCTAssertEqual(status, 200, page)
        XCTAssertTrue(page.contains("100.55"), page)

        let secretKey = sandbox.key("secret_key_test")
        let body = Data(#"{"data":{"type":"payment-invoices","id":"cpi_1","attributes":{"status":"processed","resolution":"ok","amount":1,"currency":"USD"}}}"#.utf8)
        XCTAssertTrue(try onCallback(body: body, xSignature: try paycoreSignCallback(body: body, secret: secretKey), secretKey: secretKey))
        let pending = Data(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "processed", with: "process_pending").utf8)
        XCTAssertFalse(try onCallback(body: pending, xSignature: try paycoreSignCallback(body: pending, secret: secretKey), secretKey: secretKey))
        let bad = expectError("wrong signature") {
            _ = try onCallback(body: body, xSignature: try paycoreSignCallback(body: pending, secret: secretKey), secretKey: secretKey)
        }
        guard case .Signature = bad else { return XCTFail("\(String(describing: bad))") }
    }

    func runCancellation() async throws {
        let client = try PayCoreClient(options: ClientOptions(
            accountId: sandbox.key("account_id"), apiKey: sandbox.key("api_key"), baseUrl: sandbox.baseUrl))
        let fields = #"{"service":"test_usd_test","amount":"100.55","currency":"USD","service_fields":{"status":"success"}}"#
        // The next create answers 1.5 s late (and is committed even if the client left).
        try sandbox.admin("POST", "/faults", #"{"route":"POST /api/payment-invoices","nth":1,"effect":{"delay_ms":1500}}"#)
        let later = Remembered()
        let task = Task { try await createOrRemember(client: client, fieldsJson: fields, reconcileLater: later.add) }
        try await Task.sleep(nanoseconds: 200_000_000)
        task.cancel()
        let result = await task.result
        try sandbox.admin("DELETE", "/faults")
        guard case .failure(let error) = result, let polypay = error as? PolypayError, case .Cancelled = polypay else {
            return XCTFail("expected PolypayError.Cancelled, got \(result)")
        }
        XCTAssertEqual(later.all, [polypay.details.referenceId!])
        XCTAssertEqual(later.all.first?.count, 36) // a generated reference id

        // Not cancelled: the invoice, nothing to remember.
        let invoice = try await createOrRemember(client: client, fieldsJson: fields) { XCTFail("nothing to reconcile: \($0)") }
        XCTAssertTrue(invoice.id.hasPrefix("cpi_"), invoice.id)

        // The remembered create landed after the delay: reconciled by reference id.
        let reference = later.all[0]
        var found = try await client.findPaymentInvoice(referenceId: reference)
        for _ in 0..<50 where found == nil {
            try await Task.sleep(nanoseconds: 100_000_000)
            found = try await client.findPaymentInvoice(referenceId: reference)
        }
        XCTAssertEqual(found?.referenceId, reference)
    }
}

/// The reference ids a sample hands over for later reconciliation (from any task).
final class Remembered: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []

    func add(_ reference: String) {
        lock.lock()
        defer { lock.unlock() }
        items.append(reference)
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
