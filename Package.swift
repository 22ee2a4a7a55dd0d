// swift-tools-version: 6.0
import PackageDescription

/// Swift's SIMD types only become FMA instructions when the compiler knows the
/// target CPU; without it every `addProduct` lane is a call to `fmaf`.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "native"], .when(configuration: .release)),
]

let package = Package(
    name: "ResLab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reslab", targets: ["reslab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CNCurses", path: "Sources/CNCurses"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CGlibc", path: "Sources/CGlibc"),
        // File errors in the system's own words, for every module that reads or writes files.
        .target(name: "SystemErrors"),
        .target(name: "RunProtocol", dependencies: ["SystemErrors"], exclude: ["protocol.schema.json"]),
        .target(name: "Kernels", dependencies: ["CGlibc", "SystemErrors"], swiftSettings: fastMath),
        .target(name: "Network", dependencies: ["Kernels", "RunProtocol", "SystemErrors"], swiftSettings: fastMath),
        .target(name: "Datasets", dependencies: ["Kernels", "CZlib"], swiftSettings: fastMath),
        .target(name: "Lab", dependencies: ["Network", "Datasets", "RunProtocol"], swiftSettings: fastMath),
        // Charts as SVG text, from results only: no engine, no terminal.
        .target(name: "Figures", dependencies: ["RunProtocol"]),
        // The screen knows the run only through its messages: it cannot import Lab, Network or Datasets.
        .target(name: "Dashboard", dependencies: ["RunProtocol", "Figures", "SystemErrors", "CNCurses", "Yams"],
                swiftSettings: fastMath),
        .executableTarget(
            name: "reslab",
            dependencies: [
                "Lab", "Dashboard", "Figures", "RunProtocol", "SystemErrors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastMath),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Counts each thread's calls to malloc and its kin, for the tests that
        // check a kernel or a training step allocates nothing.
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "SystemErrors", "AllocationCounter"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "RunProtocol", "TestSupport", "AllocationCounter"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"]),
        .testTarget(name: "LabTests", dependencies: ["Lab", "RunProtocol", "TestSupport", "AllocationCounter"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "RunProtocol", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures", "RunProtocol", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "ReslabTests", dependencies: ["reslab", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
