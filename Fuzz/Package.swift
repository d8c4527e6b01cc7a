// swift-tools-version:6.0
// libFuzzer targets for ftx's parsers of untrusted input (see docs/fuzzing.md). A package of its own so
// that the root package's `swift build` / `make test` never builds or links them: they only make sense
// with `-sanitize=fuzzer,address`, which `make fuzz` passes in a separate scratch folder (.build-fuzz).
// One executable serves every target (FTX_FUZZ_TARGET picks one): one link instead of ten. The targets
// (Targets/) are also compiled into the root package's FuzzReplayTests, which replays the seeds and
// the inputs that once crashed in the ordinary test build; only Driver/ is libFuzzer's.
import PackageDescription

let package = Package(
    name: "ftx-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "ftx", path: ".."),
    ],
    targets: [
        .executableTarget(name: "ftx-fuzz", dependencies: [
            .product(name: "FTXCore", package: "ftx"),
            .product(name: "FTXStore", package: "ftx"),
            .product(name: "FTXModel", package: "ftx"),
            .product(name: "FTXTrain", package: "ftx"),
            .product(name: "FTXData", package: "ftx"),
            .product(name: "FTXEval", package: "ftx"),
            .product(name: "FTXRegistry", package: "ftx"),
        ], path: ".", sources: ["Targets", "Driver"]),
    ],
    swiftLanguageModes: [.v5]
)
