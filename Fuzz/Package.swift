// swift-tools-version:6.0
// libFuzzer targets for ftx's parsers of untrusted input (see docs/fuzzing.md). A package of its own so
// that the root package's `swift build` / `make test` never builds or links them: they only make sense
// with `-sanitize=fuzzer,address`, which `make fuzz` passes in a separate scratch folder (.build-fuzz).
// One executable serves every target (FTX_FUZZ_TARGET picks one): one link instead of ten.
import PackageDescription

let package = Package(
    name: "ftx-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "ftx", path: ".."),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .executableTarget(name: "ftx-fuzz", dependencies: [
            .product(name: "FTXStore", package: "ftx"),
            .product(name: "FTXModel", package: "ftx"),
            .product(name: "FTXTrain", package: "ftx"),
            .product(name: "FTXData", package: "ftx"),
            .product(name: "FTXEval", package: "ftx"),
            .product(name: "FTXRegistry", package: "ftx"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
        ], path: "Sources/FTXFuzz"),
    ],
    swiftLanguageModes: [.v5]
)
