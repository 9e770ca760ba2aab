// swift-tools-version:6.0
// libFuzzer harnesses for sgreplay. Built apart from the main package because a fuzz target has no
// main function: see Scripts/fuzz.sh (swift build -Xswiftc -sanitize=fuzzer,address).
import PackageDescription

let package = Package(
    name: "sgreplay-fuzz",
    dependencies: [.package(name: "sgreplay", path: "..")],
    targets: [
        // Frames of every link type through the decoder, then the engine.
        .executableTarget(
            name: "FuzzDecoder",
            dependencies: [.product(name: "Firewall", package: "sgreplay")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // Policy and timeline files: scenario YAML/JSON, AWS CLI JSON, CloudTrail (also gzip).
        .executableTarget(
            name: "FuzzPolicyFiles",
            dependencies: [.product(name: "PolicyFiles", package: "sgreplay"), .product(name: "Firewall", package: "sgreplay")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // The annotated pcapng writer: what it writes must read back, frame for frame.
        .executableTarget(
            name: "FuzzPcapngWriter",
            dependencies: [.product(name: "Capture", package: "sgreplay"), .product(name: "Packets", package: "sgreplay")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
