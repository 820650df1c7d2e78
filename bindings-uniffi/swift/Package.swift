// swift-tools-version:5.9
// polypay for Swift, the development package: the generated uniffi bindings
// (Sources/Polypay/Polypay.swift and Sources/PolypayFFI/PolypayFFI.h, both written by
// `make test-swift` / run-tests.sh, not checked in) over the Rust library libpolypay_uniffi. On
// Linux the tests link the debug .so (`swift test -Xlinker -L<dir>`). The package consumers
// depend on (polypay-swift: generated sources included, no tests, an XCFramework binary target
// on Apple platforms) is written from these sources by packaging/swift/make-package.sh
// (`make dist-swift`, the release workflow); see README.md (Install, XCFramework).
import PackageDescription

let package = Package(
    name: "Polypay",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "Polypay", targets: ["Polypay"]),
    ],
    targets: [
        // The C side of the FFI: the generated header and a modulemap that links the library.
        .systemLibrary(name: "PolypayFFI", path: "Sources/PolypayFFI"),
        .target(name: "Polypay", dependencies: ["PolypayFFI"], path: "Sources/Polypay"),
        .testTarget(name: "PolypayTests", dependencies: ["Polypay"], path: "Tests/PolypayTests"),
    ]
)
