// Hand-written companion of the generated bindings: `ClientOptions` never shows its keys.
// `description` and `debugDescription` are the Rust `Display`/`Debug` (exported by uniffi from
// bindings-uniffi/src/client.rs), which print `<redacted>` for `apiKey` and `secretKey`; so
// `print`, `"\(options)"`, `String(describing:)` and `String(reflecting:)` are covered. `dump`,
// `Mirror(reflecting:)` and debuggers read the reflection instead, which this mirror redacts.
import Foundation

extension ClientOptions: CustomReflectable {
    public var customMirror: Mirror {
        func redacted(_ secret: String?) -> String? { secret.map { _ in "<redacted>" } }
        return Mirror(self, children: [
            "publicKey": publicKey as Any,
            "accountId": accountId as Any,
            "apiKey": redacted(apiKey) as Any,
            "secretKey": redacted(secretKey) as Any,
            "env": env as Any,
            "baseUrl": baseUrl as Any,
            "timeout": timeout as Any,
            "requestTimeout": requestTimeout as Any,
            "connectTimeout": connectTimeout as Any,
            "maxRetries": maxRetries as Any,
            "pageSize": pageSize as Any,
            "proxy": proxy as Any,
            "userAgent": userAgent as Any,
            "allowInsecureHttp": allowInsecureHttp as Any,
        ], displayStyle: .struct)
    }
}
