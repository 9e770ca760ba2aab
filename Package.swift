// swift-tools-version:6.0
// sgreplay: replay a packet capture through AWS security groups, network ACLs and connection tracking.
import PackageDescription

let package = Package(
    name: "sgreplay",
    products: [
        .executable(name: "sgreplay", targets: ["sgreplay"]),
        .library(name: "Packets", targets: ["Packets"]),
        // For clients such as the fuzzers in Fuzz/: the engine and the input parsers without libpcap.
        .library(name: "Firewall", targets: ["Packets", "Firewall"]),
        .library(name: "PolicyFiles", targets: ["PolicyFiles"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "Replay", targets: ["Replay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // libpcap through pkg-config; its shim also reads gzip-compressed captures through zlib.
        .systemLibrary(
            name: "CPcap", pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]),
        // ① bytes → facts: standard library only, no allocation per frame.
        .target(name: "Packets"),
        // ② capture files in (through libpcap) and out (pcapng, in pure Swift).
        .target(name: "Capture", dependencies: ["CPcap", "Packets"]),
        // A prefetch hint for the tracking table and a spin-wait pause (Swift has no intrinsics for them).
        .target(name: "CPrefetch"),
        // ③ policy, timeline, tracking and the engine that gives each frame its verdict.
        .target(name: "Firewall", dependencies: ["Packets", "CPrefetch"]),
        // zlib through pkg-config, for CloudTrail's .json.gz files (and the tests' .pcap.gz fixtures).
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // ③ files in: the scenario format, AWS CLI JSON and CloudTrail → Firewall's policy and timeline.
        .target(
            name: "PolicyFiles",
            dependencies: ["Firewall", "Packets", "CZlib", .product(name: "Yams", package: "Yams")]),
        // ④ per-frame labels, the annotated pcapng and the run summary.
        .target(name: "Reports", dependencies: ["Capture", "Packets", "Firewall"]),
        // ⑤ everything that runs a replay: one capture (open → first pass → frames → finish), several
        // (interface matching, timelines, parallel runs, label joining), remedies, standard input's spool.
        .target(name: "Replay", dependencies: ["Capture", "Packets", "Firewall", "PolicyFiles", "Reports", "CPrefetch"]),
        // The command line: commands, options and the terminal, over the modules above.
        .executableTarget(
            name: "sgreplay",
            dependencies: [
                "Capture", "Packets", "Firewall", "PolicyFiles", "Reports", "Replay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "TestSupport", dependencies: ["Packets", "CZlib"], path: "Tests/TestSupport"),
        .testTarget(name: "PacketsTests", dependencies: ["Packets", "TestSupport"]),
        .testTarget(
            name: "CaptureTests", dependencies: ["Capture", "Packets", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ReportsTests", dependencies: ["Reports", "Replay", "Capture", "Firewall", "Packets", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "Packets", "Capture"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ReplayTests", dependencies: ["Replay", "Reports", "Capture", "Firewall", "PolicyFiles", "Packets", "TestSupport"]),
        .testTarget(name: "FirewallTests", dependencies: ["Firewall", "Packets"]),
        .testTarget(
            name: "EngineTests", dependencies: ["Firewall", "Packets", "PolicyFiles", "TestSupport"],
            exclude: ["Regressions"]),
        .testTarget(name: "DifferentialTests", dependencies: ["Firewall", "Packets", "TestSupport"]),
        .testTarget(
            name: "PolicyFilesTests", dependencies: ["PolicyFiles", "Firewall", "Packets"],
            exclude: ["Fixtures"]),
    ]
)
