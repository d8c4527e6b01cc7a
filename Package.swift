// swift-tools-version:6.0
// ftx — git-shaped versioning, training and evaluation of LoRA adapters. Layering (docs/architecture.md),
// dependencies pointing down only:
//   ftx (CLI) → FTXRegistry → FTXEval and FTXTrain, side by side (neither imports the other);
//   FTXEval → FTXModel, FTXData;  FTXTrain → FTXModel, FTXTensor, FTXData;  FTXModel → FTXTensor → FTXCore.
//   FTXData (datasets; knows no model) and FTXStore (objects; no ML) sit on FTXCore; FTXRegistry joins them all.
//   FTXRemote (S3-compatible and directory remotes; no ML) sits on FTXStore, below FTXRegistry.
//   FTXServe (HTTP serving, the request log, /metrics, monitor, the ui pages) sits on FTXRegistry, beside the CLI;
//   only FTXServe imports SwiftNIO and Prometheus.
//   Only FTXTensor imports CBLAS; only FTXRemote imports CCurl; only FTXCore imports CCrypto (SHA-256 from
//   OpenSSL's libcrypto); FTXCore holds the one parallel-for (Threads) every module shares.
import PackageDescription

let package = Package(
    name: "ftx",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ftx", targets: ["ftx"]),
        // The modules as libraries, for the fuzz package (Fuzz/Package.swift); a plain build makes nothing extra for them.
        .library(name: "FTXCore", targets: ["FTXCore"]),
        .library(name: "FTXStore", targets: ["FTXStore"]),
        .library(name: "FTXModel", targets: ["FTXModel"]),
        .library(name: "FTXTrain", targets: ["FTXTrain"]),
        .library(name: "FTXData", targets: ["FTXData"]),
        .library(name: "FTXEval", targets: ["FTXEval"]),
        .library(name: "FTXRegistry", targets: ["FTXRegistry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // HTTP serving straight on SwiftNIO (its HTTP/1 codec parses requests): a framework on top
        // would add minutes to every CI build for routing a dozen paths.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C shims over the Debian -dev packages.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CGit2", path: "Sources/CGit2"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),

        // Shared by every module: the error protocol the CLI prints, atomic file writes, progress reporting,
        // SHA-256, and the one bounded YAML reader (every YAML input is untrusted; Yams is its only dependency).
        .target(name: "FTXCore", dependencies: ["Yams", "CCrypto"]),
        .target(name: "FTXStore", dependencies: [
            "FTXCore", "CZstd", "CSQLite",
        ]),
        // The engine's SIMD kernels need AVX2/FMA/F16C (x86-64-v3; every x86 server since 2013).
        // Every module keeps Swift's overflow and bounds checks (no -Ounchecked): these modules also parse
        // untrusted bytes (GGUF, chat templates, safetensors, configs), and the checks cost no speed that
        // could be told from noise (figures: docs/architecture.md, "Checked arithmetic").
        .target(name: "FTXTensor", dependencies: ["FTXCore", "CBLAS"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"])]),
        .target(name: "FTXModel", dependencies: ["FTXCore", "FTXTensor"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"])]),
        .target(name: "FTXTrain", dependencies: ["FTXCore", "FTXModel", "FTXTensor", "FTXData", "Yams"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"])]),
        .target(name: "FTXData", dependencies: [
            "FTXCore",
        ]),
        .target(name: "FTXEval", dependencies: ["FTXCore", "FTXModel", "FTXData", "Yams"]),
        // Remotes: HTTP and SigV4 signing from libcurl (parallel transfers on its multi interface).
        .target(name: "FTXRemote", dependencies: [
            "FTXCore", "FTXStore", "CCurl",
        ]),
        .target(name: "FTXRegistry", dependencies: [
            "FTXCore", "FTXStore", "FTXRemote", "FTXTensor", "FTXModel", "FTXTrain", "FTXData", "FTXEval", "CGit2", "CSQLite", "Yams",
        ]),
        // Serving: OpenAI-compatible HTTP on SwiftNIO, continuous batching over FTXModel's decode
        // loop, the request log, Prometheus /metrics, and `ftx monitor` over the logs.
        .target(name: "FTXServe", dependencies: [
            "FTXCore", "FTXStore", "FTXModel", "FTXEval", "FTXData", "FTXRegistry",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "ftx", dependencies: [
            "FTXCore", "FTXRegistry", "FTXServe", "FTXStore", "FTXRemote", "FTXModel", "FTXTrain", "FTXData", "FTXEval",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Test-only helpers: fixture and model paths, temp dirs, running the built binary.
        .target(name: "FTXTestSupport", path: "Sources/FTXTestSupport"),

        .testTarget(name: "FTXCoreTests", dependencies: ["FTXTestSupport", "FTXCore"]),
        .testTarget(name: "FTXStoreTests", dependencies: ["FTXTestSupport", "FTXCore", "FTXStore"]),
        .testTarget(name: "FTXTensorTests", dependencies: ["FTXTestSupport", "FTXCore", "FTXTensor"],
                    exclude: ["Fixtures"]),  // read by path (gguf-py dequantization references)
        .testTarget(name: "FTXModelTests", dependencies: ["FTXTestSupport", "FTXCore", "FTXModel", "FTXTensor"],
                    exclude: ["Corpus", "Fixtures"]),  // read by path (hostile GGUFs + make_corpus.py; SmolLM2 references)
        .testTarget(name: "FTXTrainTests", dependencies: ["FTXTestSupport", "FTXCore", "FTXTrain", "FTXModel", "FTXTensor", "FTXData"],
                    exclude: ["Fixtures"]),  // read by path (PEFT, bitsandbytes NF4 and torch AdamW references)
        .testTarget(name: "FTXDataTests", dependencies: ["FTXTestSupport", "FTXData"]),
        .testTarget(name: "FTXEvalTests", dependencies: ["FTXTestSupport", "FTXEval", "FTXModel", "FTXData", "Yams"]),
        .testTarget(name: "FTXServeTests", dependencies: ["FTXTestSupport", "FTXServe", "FTXModel", "FTXEval", "FTXData", "FTXRegistry", "FTXCore", "FTXStore"]),
        .testTarget(name: "FTXRemoteTests", dependencies: ["FTXTestSupport", "FTXRemote", "FTXStore"]),
        .testTarget(name: "FTXRegistryTests", dependencies: ["FTXTestSupport", "FTXCore", "FTXRegistry", "FTXStore", "FTXEval",
                                                          "FTXModel", "FTXTensor", "FTXTrain", "Yams"]),
        // FTXStore and FTXModel only craft hostile inputs (raw objects, re-checksummed pack
        // indexes, GGUFs through GGUFWriter); every command under test runs as the built binary.
        // The fuzz targets (Fuzz/Targets, shared with the libFuzzer executable of Fuzz/Package.swift) run
        // over every committed seed and every input that once crashed a target (Fuzz/corpus, Fuzz/crashes).
        .testTarget(name: "FuzzReplayTests", dependencies: ["FTXCore", "FTXStore", "FTXModel", "FTXTrain", "FTXData",
                                                         "FTXEval", "FTXRegistry"],
                    path: "Fuzz", sources: ["Targets", "Replay"]),
        .testTarget(name: "CLITests", dependencies: ["FTXTestSupport", "FTXStore", "FTXModel"]),
    ],
    // Swift 5 mode: the engine shares raw buffers across concurrentPerform workers by design;
    // strict Sendable checking would force wrappers around every pointer in hot loops.
    swiftLanguageModes: [.v5]
)
