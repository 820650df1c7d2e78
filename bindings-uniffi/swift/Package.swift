// swift-tools-version:5.9
// polypay for Swift: the generated uniffi bindings (Sources/Polypay/Polypay.swift and
// Sources/PolypayFFI/PolypayFFI.h, both written by `make test-swift` / generate.sh, not checked
// in) over the Rust library libpolypay_uniffi. On Linux the tests link the debug .so
// (`swift test -Xlinker -L<dir>`); for Apple platforms see README.md (XCFramework).
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
