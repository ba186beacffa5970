// swift-tools-version:6.0
// The DeepFaceLab SAEHD / SAEHDBW toolchain as small Unix tools.
// One library target per module (see docs/ARCHITECTURE.md); executables stay thin.
import PackageDescription
import Foundation

// Build for the host CPU by default (AVX2 on Zen 3, AVX-512 on Zen 5); `PORTABLE=1 swift build`
// (or `make PORTABLE=1`) builds for generic x86-64 so a binary can move between machines.
let portable = ProcessInfo.processInfo.environment["PORTABLE"].map { $0 == "1" } ?? false
let nativeSwift: [SwiftSetting] = portable ? [] : [.unsafeFlags(["-target-cpu", "native"])]
let nativeC: [CSetting] = portable ? [.unsafeFlags(["-O3"])] : [.unsafeFlags(["-O3", "-march=native"])]
let nativeCxx: [CXXSetting] = portable ? [.unsafeFlags(["-O3"])] : [.unsafeFlags(["-O3", "-march=native"])]

func library(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: deps, swiftSettings: nativeSwift)
}

func tool(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: deps + ["ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        swiftSettings: nativeSwift)
}

let package = Package(
    name: "dfl-swift",
    products: [
        .executable(name: "dfl-gray", targets: ["dfl-gray"]),
        .executable(name: "dfl-resize", targets: ["dfl-resize"]),
        .executable(name: "dfl-pack", targets: ["dfl-pack"]),
        .executable(name: "dfl-info", targets: ["dfl-info"]),
        .executable(name: "dfl-bench", targets: ["dfl-bench"]),
        .executable(name: "dfl-train", targets: ["dfl-train"]),
        .executable(name: "dfl-extract", targets: ["dfl-extract"]),
        .executable(name: "dfl-merge", targets: ["dfl-merge"]),
        .executable(name: "dfl-sort", targets: ["dfl-sort"]),
        .executable(name: "dfl-xseg", targets: ["dfl-xseg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libturbojpeg0-dev, libpng-dev, libopenblas-dev).
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg"),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas"),

        library("AtomicIO", []),
        library("Imaging", ["CTurboJPEG", "CPNG"]),
        library("FaceSet", ["AtomicIO"]),
        library("FaceAlign", ["FaceSet", "Imaging"]),
        .target(name: "CDlib", cxxSettings: nativeCxx,
                linkerSettings: [.linkedLibrary("dlib"), .linkedLibrary("lapack"), .linkedLibrary("blas"),
                                 .linkedLibrary("m")]),
        library("FaceDetect", ["CDlib", "CBLASCore", "Imaging", "FaceAlign"]),
        // bf16 GEMM kernels (AVX512-BF16, chosen at run time, and a portable twin; docs/bf16.md).
        .target(name: "CBF16", cSettings: nativeC),
        // OpenBLAS's kernels on CPUs it does not know (docs/blas-core.md).
        .target(name: "CBLASCore"),
        library("NeuralNet", ["COpenBLAS", "CBLASCore", "CBF16", "AtomicIO"]),
        library("ColorTransfer", ["Imaging"]),
        library("Samples", ["Imaging", "FaceSet", "FaceAlign", "ColorTransfer"]),
        library("Merge", ["Imaging", "FaceSet", "FaceAlign", "ColorTransfer"]),
        library("ModelStore", ["SAEHD", "XSeg", "NeuralNet", "ColorTransfer", "FaceSet", "AtomicIO"]),
        library("Trainer", ["ModelStore", "SAEHD", "XSeg", "NeuralNet", "Samples", "ColorTransfer", "FaceAlign", "FaceSet", "Imaging",
                            "AtomicIO"]),
        library("Sort", ["Imaging", "FaceSet", "FaceAlign", "AtomicIO"]),
        library("SAEHD", ["NeuralNet"]),
        library("XSeg", ["NeuralNet", "FaceSet", "FaceAlign", "Imaging", "AtomicIO"]),
        library("ToolSupport", ["AtomicIO", "FaceSet", "Imaging", "ColorTransfer",
                                .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        tool("dfl-gray", ["FaceSet", "Imaging"]),
        tool("dfl-resize", ["FaceSet", "FaceAlign", "Imaging"]),
        tool("dfl-pack", ["FaceSet"]),
        tool("dfl-train", ["Trainer", "ModelStore", "AtomicIO", "SAEHD", "NeuralNet", "Samples", "ColorTransfer", "FaceSet", "Imaging"]),
        tool("dfl-info", ["FaceSet", "FaceAlign", "ModelStore"]),
        tool("dfl-extract", ["FaceDetect", "FaceAlign", "FaceSet", "Imaging", "AtomicIO"]),
        tool("dfl-sort", ["Sort", "FaceSet", "Imaging", "FaceAlign"]),
        // NATIVE_CPU lets the benchmark report the vector width the build targets.
        .executableTarget(name: "dfl-bench",
                          dependencies: ["NeuralNet", "SAEHD", "XSeg", "Imaging", "COpenBLAS", "ToolSupport",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: nativeSwift + (portable ? [] : [.define("NATIVE_CPU")])),
        tool("dfl-xseg", ["Trainer", "ModelStore", "XSeg", "Samples", "NeuralNet", "FaceSet", "Imaging", "AtomicIO"]),
        tool("dfl-merge", ["Merge", "ModelStore", "SAEHD", "XSeg", "NeuralNet", "FaceAlign", "FaceSet", "Imaging", "ColorTransfer", "AtomicIO"]),

        // Shared by the test targets that run the built tools (not part of any product).
        .target(name: "TestSupport", dependencies: ["Imaging", "NeuralNet"], path: "Tests/TestSupport"),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "FaceSetTests", dependencies: ["FaceSet", "Imaging"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "FaceAlignTests", dependencies: ["FaceAlign", "FaceSet", "Imaging"],
                    exclude: ["make_dfl_reference.py", "make_pose_reference.py", "make_mask_reference.py"],
                    swiftSettings: nativeSwift),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "CBF16", "CBLASCore", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "SAEHDTests", dependencies: ["SAEHD", "NeuralNet", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "XSegTests", dependencies: ["XSeg", "NeuralNet", "FaceSet", "Imaging", "AtomicIO", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "FaceDetectTests", dependencies: ["FaceDetect", "FaceAlign", "Imaging"],
                    swiftSettings: nativeSwift),
        .testTarget(name: "ExtractTests", dependencies: ["FaceDetect", "FaceAlign", "FaceSet", "Imaging", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "ColorTransferTests", dependencies: ["ColorTransfer", "Imaging", "TestSupport"], swiftSettings: nativeSwift),
        .testTarget(name: "SamplesTests", dependencies: ["Samples", "ColorTransfer", "Imaging", "FaceSet", "FaceAlign", "TestSupport"],
                    swiftSettings: nativeSwift),
        .testTarget(name: "SortTests", dependencies: ["Sort", "Imaging", "FaceSet", "FaceAlign", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "ModelStore", "SAEHD", "NeuralNet", "Samples", "Imaging", "FaceSet",
                                                         "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "MergeTests", dependencies: ["Merge", "XSeg", "NeuralNet", "FaceAlign", "FaceSet", "Imaging", "ColorTransfer", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        // dfl-xseg as a user runs it; reads XSegTests' fixtures from the source tree.
        .testTarget(name: "XSegToolTests", dependencies: ["XSeg", "ModelStore", "Trainer", "Samples", "SAEHD", "NeuralNet", "FaceSet", "FaceAlign",
                                                           "Imaging", "TestSupport"],
                    swiftSettings: nativeSwift),
        .testTarget(name: "ToolTests", dependencies: ["FaceSet", "Imaging", "FaceAlign", "TestSupport"], swiftSettings: nativeSwift),
    ],
    // Swift 5 language mode: the numeric kernels share buffers across DispatchQueue.concurrentPerform
    // workers by index ranges, which strict Swift 6 checking cannot express without ceremony.
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
