// swift-tools-version:6.0
import PackageDescription

// A program that uses toonkit as a library: it depends on the repository's root package by path and
// links the `Toonkit` product, as any other package would (with `url:` and a version instead of `path:`).
let package = Package(
    name: "toonkit-examples",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "toonkit", path: ".."),
    ],
    targets: [
        .executableTarget(name: "SwapAndGenerate", dependencies: [.product(name: "Toonkit", package: "toonkit")],
                          path: "Sources/SwapAndGenerate", swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
