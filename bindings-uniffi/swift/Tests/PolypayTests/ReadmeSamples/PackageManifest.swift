// A sample of docs/getting-started/swift.md: the lines a consumer's Package.swift needs. A test
// target cannot import PackageDescription, so the same text is compiled here against look-alike
// types (ManifestShim below) and ReadmeTests checks what it names: the product `Polypay` of the
// package `polypay-swift` (packaging/swift/make-package.sh writes that package into dist/swift/).

let consumerManifest = ManifestShim(
    name: "App",
    // readme-sample: swift-package begin
    // Package.swift: the package from a release's dist/ (or .package(url: <polypay-swift's git URL>, from: "0.1.0"))
    dependencies: [
        .package(path: "../dist/swift/polypay-swift"),
    ],
    targets: [
        .executableTarget(name: "App", dependencies: [.product(name: "Polypay", package: "polypay-swift")]),
    ]
    // readme-sample: swift-package end
)

/// Look-alikes of PackageDescription's `Package`, `.package(path:)`, `.executableTarget` and
/// `.product(name:package:)`, enough to compile the sample above.
struct ManifestShim {
    struct Dependency {
        let path: String
        static func package(path: String) -> Dependency { Dependency(path: path) }
    }
    struct Product {
        let name: String, package: String
        static func product(name: String, package: String) -> Product { Product(name: name, package: package) }
    }
    struct Target {
        let name: String, dependencies: [Product]
        static func executableTarget(name: String, dependencies: [Product]) -> Target { Target(name: name, dependencies: dependencies) }
    }
    let name: String
    let dependencies: [Dependency]
    let targets: [Target]
}
