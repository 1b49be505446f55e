// swift-tools-version:6.0
import PackageDescription

// libcape.so: a preload library that replaces libgomp's GOMP_* ABI and the omp_* API so an unchanged
// `gcc -fopenmp` binary runs as one OpenMP team spread over the ranks of an MPI job.
// cape-proxy: the only MPI process of a rank; it moves the bytes that libcape prepares.
// cape-profile: prints the per-region profile that CAPE_PROFILE asks for, and draws its chart.
// Every process of the job loads libcape.so (mpiexec and hydra's proxies too: they inherit
// LD_PRELOAD), so what it links is paid at each start: no Concurrency, String Processing or Regex
// libraries (and the libdispatch and BlocksRuntime they bring), which the code does not use.
let lean: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-disable-implicit-concurrency-module-import",
                                          "-Xfrontend", "-disable-implicit-string-processing-module-import"])]
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

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
            linkerSettings: [.linkedLibrary("capstone")]
        ),
        // Futexes and channel memory, shared by libcape and cape-proxy.
        .target(name: "CCapeSys", path: "Sources/CCapeSys", publicHeadersPath: "include"),
        // Plain logic with unit tests: diff codec, merge, exchange schedule, loop partitioning, fingerprints.
        // The vector loops of diff encoding and applying.
        .target(name: "CCapeCodec", path: "Sources/CCapeCodec", publicHeadersPath: "include",
                cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "CapeCore", dependencies: ["CCapeCodec"], path: "Sources/CapeCore",
                swiftSettings: fast + lean),
        .target(
            name: "Cape",
            dependencies: ["CCapeShim", "CCapeSys", "CapeCore"],
            path: "Sources/Cape",
            exclude: ["libgomp.symbols"],
            swiftSettings: fast + lean,
            linkerSettings: [.linkedLibrary("dl")]
        ),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "mpich"),
        .executableTarget(
            name: "cape-proxy",
            dependencies: ["CMPI", "CCapeSys", "CapeCore"],
            path: "Sources/cape-proxy",
            swiftSettings: lean
        ),
        // Prints a CAPE_PROFILE file and draws its chart.
        .executableTarget(name: "cape-profile", dependencies: ["CapeCore"], path: "Sources/cape-profile"),
        .testTarget(name: "CapeCoreTests", dependencies: ["CapeCore"], path: "Tests/CapeCoreTests"),
        .testTarget(name: "IntegrationTests", path: "Tests/IntegrationTests"),
    ],
    swiftLanguageModes: [.v5]
)
