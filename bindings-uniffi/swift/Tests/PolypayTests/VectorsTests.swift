import Foundation
import XCTest
@testable import Polypay

final class VectorsTests: XCTestCase {
    func testEcommpaySign() throws {
        let cases = try Vectors.cases("ecommpay_sign.json")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let params = c.str("params_json")!
            XCTAssertEqual(try ecommpayStringToSign(paramsJson: params), c.str("string_to_sign"), c.str("id")!)
            XCTAssertEqual(try ecommpaySign(paramsJson: params, secret: c.str("secret")!), c.str("signature"), c.str("id")!)
        }
    }

    /// Gate request bodies sign as the official Python SDK signed them, and verify. The
    /// unsigned text is cut from the body's own JSON (key order kept) by removing the
    /// signature member.
    func testEcommpayGate() throws {
        let file = try Vectors.file("ecommpay_gate.json")
        let secret = file["secret"] as! String
        let cases = file["cases"] as! [[String: Any]]
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let body = c["body"] as! [String: Any]
            let general = body["general"] as? [String: Any]
            let expected = (general ?? body)["signature"] as! String
            var unsigned = body
            if var g = general {
                g.removeValue(forKey: "signature")
                unsigned["general"] = g
            } else {
                unsigned.removeValue(forKey: "signature")
            }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: unsigned), as: UTF8.self)
            XCTAssertEqual(try ecommpaySign(paramsJson: text, secret: secret), expected, c.str("id")!)
            let raw = try JSONSerialization.data(withJSONObject: body)
            XCTAssertEqual(try ecommpayVerifyCallback(body: raw, secret: secret).paymentId, general?["payment_id"] as? String, c.str("id")!)
        }
    }

    func testEcommpayUrl() throws {
        for c in try Vectors.cases("ecommpay_url.json") {
            let url = try ecommpayPaymentPageUrl(paramsJson: c.str("params_json")!, secret: c.str("secret")!, baseUrl: c.str("base_url"))
            XCTAssertEqual(url, c.str("url"), c.str("id")!)
        }
    }

    func testBestBeforeIsWrittenAsPhpDateC() {
        XCTAssertEqual(ecommpayBestBefore(at: Date(timeIntervalSince1970: 1_893_553_445.999)), "2030-01-02T03:04:05+00:00")
    }

    func testEcommpayCallback() throws {
        for c in try Vectors.cases("ecommpay_callback.json") {
            let body = Data(c.str("body")!.utf8)
            let id = c.str("id")!
            if c.bool("valid") == true {
                let cb = try ecommpayVerifyCallback(body: body, secret: c.str("secret")!)
                XCTAssertEqual(cb.paymentId, c.str("payment_id"), id)
                XCTAssertEqual(cb.paymentStatus, c.str("payment_status"), id)
                if id == "cb-success" {
                    XCTAssertEqual([cb.cardMask, cb.cardToken, cb.paymentMethod, cb.customerId],
                                   ["531234******4321", "c0ffee12ab", "card", "usr-55913"])
                    XCTAssertNil(cb.recurringId)
                }
            } else {
                let e = expectError(id) { _ = try ecommpayVerifyCallback(body: body, secret: c.str("secret")!) }
                XCTAssertEqual(e?.details.kind, c.str("error"), id)
            }
        }
    }

    func testNatsortAndPhpFloat() throws {
        for c in try Vectors.cases("ecommpay_natsort.json") {
            let cmp = ecommpayNatcmp(a: Data(c.str("a")!.utf8), b: Data(c.str("b")!.utf8))
            XCTAssertEqual(Int(cmp), (c["cmp"] as! NSNumber).intValue, c.str("id")!)
        }
        for c in try Vectors.cases("php_float.json") {
            XCTAssertEqual(ecommpayPhpFloat(value: Double(c.str("json_lexeme")!)!), c.str("php_string"), c.str("id")!)
        }
    }

    func testPaycoreSignature() throws {
        let file = try Vectors.file("paycore_signature.json")
        for c in file["cases"] as! [[String: Any]] {
            let body = c.str("body").map { Data($0.utf8) } ?? Data(base64Encoded: c.str("body_base64")!)!
            let secret = c.str("secret")!
            XCTAssertEqual(try paycoreSignCallback(body: body, secret: secret), c.str("signature"), c.str("id")!)
            for v in c["verify"] as! [[String: Any]] {
                let signature = v.str("signature")!
                if v.bool("valid") == true {
                    XCTAssertNoThrow(try paycoreVerifySignature(body: body, signature: signature, secret: secret))
                } else {
                    let e = expectError(signature) { try paycoreVerifySignature(body: body, signature: signature, secret: secret) }
                    XCTAssertEqual(e?.details.kind, "signature")
                    XCTAssertEqual(e?.details.code, v.str("error"), signature)
                }
            }
        }
        for s in file["secret_errors"] as! [[String: Any]] {
            let e = expectError(s.str("error")!) { _ = try paycoreSignCallback(body: Data("{}".utf8), secret: s.str("secret")!) }
            XCTAssertEqual(e?.details.code, s.str("error"))
        }
    }

    func testPaycoreCallback() throws {
        for c in try Vectors.cases("paycore_callback.json") {
            let id = c.str("id")!
            let body = Data(c.str("body")!.utf8)
            if let error = c.str("error") {
                let e = expectError(id) { _ = try paycoreVerifyCallback(body: body, signature: c.str("signature")!, secret: c.str("secret")!) }
                XCTAssertTrue(e?.details.kind == error || e?.details.code == error, "\(id): \(String(describing: e))")
            } else {
                let event = try paycoreVerifyCallback(body: body, signature: c.str("signature")!, secret: c.str("secret")!)
                let expected = c["expected"] as! [String: Any]
                XCTAssertEqual(event.eventType, expected.str("type"), id)
                XCTAssertEqual(event.id, expected.str("id"), id)
                if let status = expected.str("status") { XCTAssertEqual(event.status, status, id) }
                if let final = expected.bool("is_final") { XCTAssertEqual(event.isFinal, final, id) }
                if let success = expected.bool("is_success") { XCTAssertEqual(event.isSuccess, success, id) }
                if case .payment(let invoice) = event.invoice, let amount = expected.str("amount") {
                    XCTAssertEqual(invoice.amount, Decimal(string: amount), id)
                }
            }
        }
    }

    func testPaycoreHpp() throws {
        let file = try Vectors.file("paycore_hpp.json")
        for c in file["cases"] as! [[String: Any]] {
            let id = c.str("id")!
            let params = c.str("params_json")!
            XCTAssertEqual(try paycoreHppUrl(paramsJson: params, env: c.str("env"), baseUrl: c.str("base_url")), c.str("url"), id)
            if let refusal = c["form_error"] as? [String: Any] {
                let e = expectError(id) { _ = try paycoreHppForm(paramsJson: params, env: c.str("env"), baseUrl: c.str("base_url")) }
                XCTAssertEqual(e?.details.argument, refusal.str("argument"), id)
                continue
            }
            let form = try paycoreHppForm(paramsJson: params, env: c.str("env"), baseUrl: c.str("base_url"))
            let expected = c["form"] as! [String: Any]
            XCTAssertEqual(form.action, expected.str("action"), id)
            XCTAssertEqual(form.method, expected.str("method"), id)
            let fields = (expected["fields"] as! [[String]]).map { "\($0[0])=\($0[1])" }
            XCTAssertEqual(form.fields.map { "\($0.name)=\($0.value)" }, fields, id)
        }
        for c in file["errors"] as! [[String: Any]] {
            let e = expectError(c.str("id")!) { _ = try paycoreHppUrl(paramsJson: c.str("params_json")!, env: c.str("env"), baseUrl: c.str("base_url")) }
            XCTAssertEqual(e?.details.kind, c.str("error"), c.str("id")!)
        }
    }

    func testBadInputs() throws {
        let calls: [(String, () throws -> Void)] = [
            ("not json", { _ = try ecommpaySign(paramsJson: "{", secret: "secret") }),
            ("array", { _ = try ecommpaySign(paramsJson: "[1]", secret: "secret") }),
            ("gate project_id", { _ = try EcommpayGate(projectId: 1, secretKey: "secret").paymentPageUrl(fieldsJson: "{\"project_id\":2}") }),
        ]
        for (name, call) in calls {
            let e = expectError(name, call)
            guard case .InvalidInput = e else { return XCTFail("\(name): \(String(describing: e))") }
            XCTAssertNil(e?.details.httpStatus)
        }
    }
}
