import Foundation

/// Runs the built `sgreplay` binary the way a user or script does, for end-to-end tests.
///
///     let result = try runSgreplay(["analyze", "capture.pcap", "--format", "json"], in: traceDirectory)
///     #expect(result.status == 0)
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Standard output as bytes, for binary output (`--annotate -`).
    public var stdoutBytes = Data()
}

/// The folder holding the built products (`.build/debug`), found from the test bundle's location.
public var productsDirectory: URL {
    let bundle = Bundle.main.bundleURL
    return bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
}

/// The package root (where Package.swift is), found from this source file's path.
public var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// `environment`: variables added to this process's own (e.g. `SGREPLAY_PIPELINE=0`).
public func runSgreplay(
    _ arguments: [String], in directory: URL? = nil, stdin: Data? = nil, environment: [String: String] = [:]
) throws -> CommandResult {
    try runProgram(productsDirectory.appendingPathComponent("sgreplay"), arguments, in: directory, stdin: stdin, environment: environment)
}

/// Runs any program (tshark, script) the same way.
public func runProgram(
    _ executable: URL, _ arguments: [String], in directory: URL? = nil, stdin: Data? = nil, environment: [String: String] = [:]
) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    // Feed standard input and drain both outputs concurrently so large outputs cannot deadlock.
    let writer = Thread {
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    nonisolated(unsafe) var errData = Data()
    let errReader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
    errReader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while errReader.isExecuting { usleep(1000) }
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self), stdoutBytes: outData)
}

/// Compares `actual` with the golden file at `url`; with RECORD_SNAPSHOTS=1 (or when the file is
/// missing) writes it instead, and a missing file still fails so that recording is never silent.
public func assertSnapshot(_ actual: String, matches url: URL) throws -> String? {
    let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
    let exists = FileManager.default.fileExists(atPath: url.path)
    if record || !exists {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try actual.write(to: url, atomically: true, encoding: .utf8)
        return record ? nil : "recorded a new snapshot at \(url.path); check it in and run again"
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    if expected == actual { return nil }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(a.count, e.count) {
        let x = i < a.count ? String(a[i]) : "<end>"
        let y = i < e.count ? String(e[i]) : "<end>"
        if x != y { return "\(url.lastPathComponent) differs at line \(i + 1):\n  expected: \(y)\n  actual:   \(x)\n(RECORD_SNAPSHOTS=1 re-records)" }
    }
    return "\(url.lastPathComponent) differs"
}
