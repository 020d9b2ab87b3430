// swift-tools-version:5.9
import PackageDescription
import Foundation

/// Native kernels are compiled for a CPU with AVX2 + FMA by default (Haswell floor).
/// `TOPIARY_CPU=native` uses every instruction the build machine has;
/// `TOPIARY_CPU=generic` builds for baseline x86-64 (SSE2, no FMA). Release builds for AVX2
/// define `TOPIARY_AVX2` (kernels use its shuffles through the compiler's intrinsics).
let cpu = ProcessInfo.processInfo.environment["TOPIARY_CPU"] ?? "haswell"
let cpuFlags: [String] = cpu == "generic" ? [] : ["-target-cpu", cpu == "native" ? "native" : cpu, "-Xcc", "-march=\(cpu)",
                                                  "-DTOPIARY_AVX2"]
let fast: [SwiftSetting] = [.unsafeFlags(cpuFlags + ["-Ounchecked", "-wmo"], .when(configuration: .release))]
let cfast: [CSetting] = [.unsafeFlags(["-O3", "-march=\(cpu == "generic" ? "x86-64" : cpu)"])]

let package = Package(
    name: "Topiary",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "topiary", targets: ["topiary"]),
        .library(name: "TopiaryTensor", targets: ["Tensor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        // ONNX export: the generated onnx.pb.swift (Scripts/gen_onnx_proto.sh) needs the runtime only.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System libraries
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4",
                       providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CEdit", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // Open MPI (the dist module): mpi.h + static inline wrappers for its macro handles
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        // oneDNN 2.6 (no pkg-config file in Debian): the optional convolution path
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // glibc's malloc.h (mallopt): Storage keeps freed memory for the next step
        .systemLibrary(name: "CMalloc"),
        // __builtin_prefetch for the kernels (Swift has no prefetch call)
        .systemLibrary(name: "CPrefetch"),
        // AVX-512 kernels chosen at run time (the rest is built for the AVX2 floor); no FMA
        // contraction, so their arithmetic is the Swift kernels' operation for operation
        .target(name: "CAVX512", cSettings: cfast + [.unsafeFlags(["-ffp-contract=off"])]),
        // C glue: the only place lua_error is raised
        .target(name: "CLuaShim", dependencies: ["CLua"], cSettings: cfast),
        // Swift modules; dependencies point one way
        .target(name: "Text", dependencies: [], swiftSettings: fast),
        .target(name: "Tensor", dependencies: ["CMalloc"], swiftSettings: fast),
        .target(name: "Kernels", dependencies: ["Tensor", "CBLAS", "CDNNL", "CPrefetch", "CAVX512"], swiftSettings: fast),
        .target(name: "NN", dependencies: ["Tensor", "Kernels", "Text"], swiftSettings: fast),
        .target(name: "Data", dependencies: ["Tensor", "CZlib", "Text"], swiftSettings: fast),
        .target(name: "Pruning", dependencies: ["Tensor", "Kernels", "NN", "Text"], swiftSettings: fast),
        .target(name: "Plot", dependencies: ["Text", "CZlib"], swiftSettings: fast),
        .target(name: "ONNX", dependencies: ["Tensor", "NN", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["onnx.proto"], swiftSettings: fast),
        // DESIGN.md's Distributed/; the module keeps the name Dist (`Distributed` is a Swift standard module)
        .target(name: "Dist", dependencies: ["CMPI", "Tensor", "NN"], path: "Sources/Distributed", swiftSettings: fast),
        .target(name: "LuaHost", dependencies: ["CLua", "CLuaShim", "Tensor", "Text"], swiftSettings: fast),
        .target(name: "Bindings", dependencies: ["LuaHost", "Tensor", "Kernels", "NN", "Data", "Plot", "Pruning", "Text", "ONNX", "Dist"], swiftSettings: fast),
        .target(name: "Notebook", dependencies: ["LuaHost", "Bindings", "Kernels", "Plot", "Text", "CLua", "CLuaShim",
                                               .product(name: "Ink", package: "Ink")], swiftSettings: fast),
        .target(name: "Sweep", dependencies: ["Notebook", "LuaHost", "Plot", "Tensor", "Text", "CLua"], swiftSettings: fast),
        .target(name: "Jupyter", dependencies: ["CZMQ", "Notebook", "LuaHost", "Text", "CLuaShim"], swiftSettings: fast),
        .executableTarget(name: "topiary", dependencies: [
            "Bindings", "LuaHost", "Tensor", "Kernels", "NN", "Pruning", "Notebook", "Sweep", "Text", "CEdit", "CLua", "CLuaShim", "Jupyter",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),
        // Tests
        .testTarget(name: "TextTests", dependencies: ["Text"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "Tensor"]),
        .testTarget(name: "LuaHostTests", dependencies: ["LuaHost", "Bindings", "Tensor", "Text"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensor", "Kernels"]),
        .testTarget(name: "PruningTests", dependencies: ["Pruning", "NN", "Tensor", "Data"], exclude: ["Fixtures"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Tensor"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "CZlib"]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "NN", "Tensor"]),
        .testTarget(name: "DistTests", dependencies: ["Dist", "NN", "Tensor"]),
        .testTarget(name: "BindingsTests", dependencies: ["Bindings", "LuaHost", "Tensor", "Plot", "CLua"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "LuaHost", "Bindings", "Kernels", "Tensor", "Text"]),
        .testTarget(name: "SweepTests", dependencies: ["Sweep", "Notebook", "Text"]),
        .testTarget(name: "JupyterTests", dependencies: ["Jupyter", "Notebook", "Text"]),
        // Drives the built `topiary` binary through a pseudo-terminal and pipes.
        .testTarget(name: "ReplTests", dependencies: ["topiary"]),
    ]
)
