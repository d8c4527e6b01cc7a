// swift-tools-version:6.0
// ftx — git-shaped versioning, training and evaluation of LoRA adapters. See DESIGN (§2) for the layering:
// dependencies point down only: ftx → FTXRegistry → FTXEval → FTXTrain → FTXModel → FTXTensor → FTXCore;
// FTXData (datasets; no ML) and FTXStore (objects; no ML) sit beside the engine and are joined in FTXRegistry;
// FTXRemote (S3-compatible and directory remotes; no ML) sits on FTXStore, below FTXRegistry.
import PackageDescription

let package = Package(
    name: "ftx",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ftx", targets: ["ftx"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C shims over the Debian -dev packages.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CGit2", path: "Sources/CGit2"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),

        // Shared by every module: the error protocol the CLI prints, atomic file writes, progress reporting.
        .target(name: "FTXCore"),
        .target(name: "FTXStore", dependencies: [
            "FTXCore", "CZstd", "CSQLite",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The engine's SIMD kernels need AVX2/FMA/F16C (x86-64-v3; every x86 server since 2013).
        .target(name: "FTXTensor", dependencies: ["FTXCore", "CBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
                                .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"])]),
        .target(name: "FTXModel", dependencies: ["FTXCore", "FTXTensor"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
                                .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"])]),
        .target(name: "FTXTrain", dependencies: ["FTXCore", "FTXModel", "FTXTensor", "FTXData", "Yams"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
                                .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"])]),
        .target(name: "FTXData", dependencies: [
            "FTXCore", "Yams",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "FTXEval", dependencies: ["FTXCore", "FTXModel", "FTXData", "Yams", .product(name: "Crypto", package: "swift-crypto")]),
        // Remotes: HTTP and SigV4 signing from libcurl (parallel transfers on its multi interface).
        .target(name: "FTXRemote", dependencies: [
            "FTXCore", "FTXStore", "CCurl",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "FTXRegistry", dependencies: [
            "FTXCore", "FTXStore", "FTXRemote", "FTXModel", "FTXTrain", "FTXData", "FTXEval", "CGit2", "CSQLite", "Yams",
        ]),
        .executableTarget(name: "ftx", dependencies: [
            "FTXCore", "FTXRegistry", "FTXStore", "FTXRemote", "FTXModel", "FTXTrain", "FTXData", "FTXEval",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Test-only helpers: fixture and model paths, temp dirs, running the built binary.
        .target(name: "FTXTestSupport", path: "Sources/FTXTestSupport"),

        .testTarget(name: "FTXCoreTests", dependencies: ["FTXTestSupport", "FTXCore"]),
        .testTarget(name: "FTXStoreTests", dependencies: ["FTXTestSupport", "FTXStore"]),
        .testTarget(name: "FTXTensorTests", dependencies: ["FTXTestSupport", "FTXTensor"]),
        .testTarget(name: "FTXModelTests", dependencies: ["FTXTestSupport", "FTXModel", "FTXTensor"],
                    exclude: ["Corpus"]),  // read by path (hostile GGUFs + make_corpus.py)
        .testTarget(name: "FTXTrainTests", dependencies: ["FTXTestSupport", "FTXTrain", "FTXModel", "FTXTensor", "FTXData"],
                    exclude: ["Fixtures"]),  // read by path (PEFT reference dump)
        .testTarget(name: "FTXDataTests", dependencies: ["FTXTestSupport", "FTXData"]),
        .testTarget(name: "FTXEvalTests", dependencies: ["FTXTestSupport", "FTXEval", "FTXModel", "FTXData"]),
        .testTarget(name: "FTXRemoteTests", dependencies: ["FTXTestSupport", "FTXRemote", "FTXStore"]),
        .testTarget(name: "FTXRegistryTests", dependencies: ["FTXTestSupport", "FTXRegistry", "FTXStore"]),
        .testTarget(name: "CLITests", dependencies: ["FTXTestSupport"]),
    ],
    // Swift 5 mode: the engine shares raw buffers across concurrentPerform workers by design;
    // strict Sendable checking would force wrappers around every pointer in hot loops.
    swiftLanguageModes: [.v5]
)
