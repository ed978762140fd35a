// swift-tools-version:6.0
import PackageDescription

// Numeric code is written against raw buffers and runs on our own worker threads; Swift 6's strict
// Sendable checking would force unchecked wrappers around every pointer, so the targets use the
// Swift 5 language mode (the tools stay at 6.0).
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "toonkit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "toonkit", targets: ["CLI"]),
        .library(name: "Toonkit", targets: ["UntrustedInput", "Engine", "Networks", "Checkpoint", "Interop", "Imaging", "Generation", "Surgery", "Training", "Metrics", "Projection", "Workflows"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // System libraries (Debian packages installed by scripts/install-deps.sh).
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // SHA-256 of checkpoint tensors (OpenSSL's libcrypto, with the CPU's SHA extensions where present).
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        // Checks every reader applies to paths and text that come from outside (regular files only, escaped names).
        .target(name: "UntrustedInput", path: "Sources/UntrustedInput", swiftSettings: swift5),
        // C: the engine's vector kernels, built for AVX-512, AVX2 + FMA and the baseline and chosen at run time, so
        // no target flags are needed (docs/engine-kernels.md); other packages cannot depend on a target built with unsafe flags.
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "Engine", dependencies: ["COpenBLAS", "CKernels"], path: "Sources/Engine", swiftSettings: swift5),
        // C: walks an HDF5 file's structure in a child process, so a libhdf5 crash on hostile metadata is an error.
        .target(name: "CHDF5Probe", dependencies: ["CHDF5"], path: "Sources/CHDF5Probe"),
        .target(name: "Checkpoint", dependencies: ["CHDF5", "CHDF5Probe", "Engine", "UntrustedInput", "COpenSSL"],
                path: "Sources/Checkpoint", swiftSettings: swift5),
        .target(name: "Networks", dependencies: ["Engine", "Checkpoint", "UntrustedInput"], path: "Sources/Networks", swiftSettings: swift5),
        .target(name: "Interop", dependencies: ["Engine", "Checkpoint", "Networks", "CZlib", "UntrustedInput"], path: "Sources/Interop", swiftSettings: swift5),
        .target(name: "Imaging", dependencies: ["CPNG", "UntrustedInput"], path: "Sources/Imaging", swiftSettings: swift5),
        .target(name: "Generation", dependencies: ["Engine", "Networks", "Checkpoint", "Interop", "Imaging", "UntrustedInput"],
                path: "Sources/Generation", swiftSettings: swift5),
        .target(name: "Surgery", dependencies: ["Engine", "Checkpoint", "Networks", "Generation", "Imaging", "UntrustedInput", "Yams"], path: "Sources/Surgery", swiftSettings: swift5),
        .target(name: "Training", dependencies: ["Engine", "Networks", "Checkpoint", "Generation", "Imaging", "Interop", "CZlib", "UntrustedInput"], path: "Sources/Training", swiftSettings: swift5),
        .target(name: "Metrics", dependencies: ["Engine", "Networks", "Checkpoint", "Interop", "Imaging", "UntrustedInput"], path: "Sources/Metrics", swiftSettings: swift5),
        .target(name: "Projection", dependencies: ["Engine", "Networks", "Metrics", "Training", "Imaging"],
                path: "Sources/Projection", swiftSettings: swift5),
        .target(name: "Workflows", dependencies: ["Training", "Metrics", "Surgery", "Generation", "Imaging", "Networks", "Checkpoint", "Engine"],
                path: "Sources/Workflows", swiftSettings: swift5),
        // Training over MPI processes (`mpirun -np N toonkit train`): the transport behind Training's Collective.
        .target(name: "Distributed", dependencies: ["CMPI", "Training", "Engine"], path: "Sources/Distributed", swiftSettings: swift5),
        // C: the time a cache line takes between two CPUs and back, which the benchmarks print beside their numbers.
        .target(name: "CRoundTrip", path: "Sources/CRoundTrip"),
        // The measurements behind `toonkit bench`; the CLI's, not the library product's: their reports are
        // the bench command's output, and a program using Toonkit measures its own work.
        .target(name: "Benchmarks", dependencies: ["CRoundTrip", "Engine", "Checkpoint", "Networks", "Interop", "Surgery", "Training", "Metrics", "Projection"],
                path: "Sources/Benchmarks", swiftSettings: swift5),
        .executableTarget(name: "CLI", dependencies: [
            "Benchmarks", "Distributed", "Engine", "Networks", "Checkpoint", "Interop", "Imaging", "Generation", "Surgery", "Training", "Metrics", "Projection", "Workflows", "UntrustedInput",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/CLI", swiftSettings: swift5),

        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"], path: "Tests/EngineTests", swiftSettings: swift5),
        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport", swiftSettings: swift5),
        .testTarget(name: "NetworkTests", dependencies: ["Networks", "Generation", "Interop", "Checkpoint", "Engine", "Imaging", "TestSupport"],
                    path: "Tests/NetworkTests", swiftSettings: swift5),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Networks", "Checkpoint", "Interop", "Engine", "TestSupport"],
                    path: "Tests/TrainingTests", swiftSettings: swift5),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "Networks", "Engine", "TestSupport"], path: "Tests/CheckpointTests", swiftSettings: swift5),
        .testTarget(name: "InteropTests", dependencies: ["Interop", "Checkpoint", "Networks", "TestSupport", "CZlib"], path: "Tests/InteropTests", swiftSettings: swift5),
        .testTarget(name: "SurgeryTests", dependencies: ["Surgery", "Checkpoint", "Interop", "Networks", "Generation", "Imaging", "TestSupport"],
                    path: "Tests/SurgeryTests", swiftSettings: swift5),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Networks", "Checkpoint", "Interop", "Engine", "TestSupport"],
                    path: "Tests/MetricsTests", swiftSettings: swift5),
        .testTarget(name: "AugmentTests", dependencies: ["Training", "Engine", "TestSupport"], path: "Tests/AugmentTests", swiftSettings: swift5),
        .testTarget(name: "DataTests", dependencies: ["Training", "Imaging", "Interop", "Engine", "TestSupport"],
                    path: "Tests/DataTests", swiftSettings: swift5),
        // End to end through the built toonkit: the hostile-input corpus (scripts/make_hostile_corpus.py writes Corpus/).
        .testTarget(name: "HostileInputTests", dependencies: ["TestSupport", "CZlib"], path: "Tests/HostileInputTests",
                    exclude: ["Corpus"], swiftSettings: swift5),
        .testTarget(name: "ProjectionTests", dependencies: ["Projection", "Metrics", "Networks", "Generation", "Imaging", "Interop", "Checkpoint", "Engine", "TestSupport"],
                    path: "Tests/ProjectionTests", swiftSettings: swift5),
        .testTarget(name: "WorkflowTests", dependencies: ["Workflows", "Training", "Metrics", "Checkpoint", "Imaging", "TestSupport"],
                    path: "Tests/WorkflowTests", swiftSettings: swift5),
    ]
)
