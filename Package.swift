// swift-tools-version:6.0
// ftx — git-shaped versioning, training and evaluation of LoRA adapters. See DESIGN (§2) for the layering:
// dependencies point down only: ftx → FTXRegistry → FTXEval/FTXData → FTXTrain → FTXModel → FTXTensor; FTXStore alone.
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

        // Shared by every module: the error protocol the CLI prints, atomic file writes, progress reporting.
        .target(name: "FTXCore"),
        .target(name: "FTXStore", dependencies: [
            "FTXCore", "CZstd", "CSQLite",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "FTXTensor", dependencies: ["FTXCore", "CBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "FTXModel", dependencies: ["FTXTensor"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "FTXTrain", dependencies: ["FTXModel", "FTXTensor", "Yams"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "FTXData", dependencies: [
            "FTXCore",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "FTXEval", dependencies: ["FTXModel", "FTXData", "Yams"]),
        .target(name: "FTXRegistry", dependencies: [
            "FTXStore", "FTXModel", "FTXTrain", "FTXData", "FTXEval", "CGit2", "CSQLite", "Yams",
        ]),
        .executableTarget(name: "ftx", dependencies: [
            "FTXCore", "FTXRegistry", "FTXStore", "FTXModel", "FTXTrain", "FTXData", "FTXEval",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "FTXCoreTests", dependencies: ["FTXCore"]),
        .testTarget(name: "FTXStoreTests", dependencies: ["FTXStore"]),
        .testTarget(name: "FTXTensorTests", dependencies: ["FTXTensor"]),
        .testTarget(name: "FTXModelTests", dependencies: ["FTXModel", "FTXTensor"]),
        .testTarget(name: "FTXTrainTests", dependencies: ["FTXTrain", "FTXModel", "FTXTensor"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "FTXDataTests", dependencies: ["FTXData"]),
        .testTarget(name: "FTXEvalTests", dependencies: ["FTXEval", "FTXModel"]),
        .testTarget(name: "FTXRegistryTests", dependencies: ["FTXRegistry", "FTXStore"]),
        .testTarget(name: "CLITests", dependencies: []),
    ]
)
