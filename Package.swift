// swift-tools-version:6.0
import PackageDescription

// libcape.so: a preload library that replaces libgomp's GOMP_* ABI and the omp_* API so an unchanged
// `gcc -fopenmp` binary runs as one OpenMP team spread over the ranks of an MPI job.
// cape-proxy: the only MPI process of a rank; it moves the bytes that libcape prepares.
// cape-profile: prints the per-region profile that CAPE_PROFILE asks for, and draws its chart.
let package = Package(
    name: "cape",
    products: [
        .library(name: "cape", type: .dynamic, targets: ["Cape"]),
        .executable(name: "cape-proxy", targets: ["cape-proxy"]),
        .executable(name: "cape-profile", targets: ["cape-profile"]),
    ],
    targets: [
        // What Swift cannot do safely: constructor, fault handler, TLS, futexes, stack switch, malloc routing,
        // and the atomic-instruction patching (with the Capstone disassembler).
        .target(
            name: "CCapeShim",
            dependencies: ["CCapeCodec"],
            path: "Sources/CCapeShim",
            publicHeadersPath: "include",
            cSettings: [.unsafeFlags(["-O2", "-fno-omit-frame-pointer", "-ftls-model=initial-exec"])],
            linkerSettings: [.linkedLibrary("capstone"), .linkedLibrary("dw")]
        ),
        // Futexes and channel memory, shared by libcape and cape-proxy.
        .target(name: "CCapeSys", path: "Sources/CCapeSys", publicHeadersPath: "include"),
        // Plain logic with unit tests: diff codec, merge, exchange schedule, loop partitioning, fingerprints.
        // The vector loops of diff encoding and applying.
        .target(name: "CCapeCodec", path: "Sources/CCapeCodec", publicHeadersPath: "include",
                cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "CapeCore", dependencies: ["CCapeCodec"], path: "Sources/CapeCore",
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(
            name: "Cape",
            dependencies: ["CCapeShim", "CCapeSys", "CapeCore"],
            path: "Sources/Cape",
            exclude: ["libgomp.symbols"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))],
            linkerSettings: [.linkedLibrary("dl")]
        ),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "mpich"),
        .executableTarget(
            name: "cape-proxy",
            dependencies: ["CMPI", "CCapeSys", "CapeCore"],
            path: "Sources/cape-proxy"
        ),
        // Prints a CAPE_PROFILE file and draws its chart.
        .executableTarget(name: "cape-profile", dependencies: ["CapeCore"], path: "Sources/cape-profile"),
        .testTarget(name: "CapeCoreTests", dependencies: ["CapeCore"], path: "Tests/CapeCoreTests"),
        .testTarget(name: "IntegrationTests", path: "Tests/IntegrationTests"),
    ],
    swiftLanguageModes: [.v5]
)
