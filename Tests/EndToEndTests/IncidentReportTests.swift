import Foundation
import Testing
import TestSupport

/// `analyze --report`: the Markdown and HTML reports of every trace against `expected/report.md` and
/// `expected/report.html` (RECORD_SNAPSHOTS=1 re-records), the option's errors, escaping of hostile
/// inputs end to end, and, when Chromium is installed, the real-browser check of the HTML.
@Suite struct IncidentReportEndToEndTests {
    static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-report-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// The traces the issue names first, then every other one.
    static var traces: [Trace] {
        let first = ["ssh-session-continues-after-revoke", "http-open-to-world-cut-at-revoke", "conntrack-allowance-exhausted"]
        return Trace.all.sorted { (first.firstIndex(of: $0.name) ?? first.count, $0.name) < (first.firstIndex(of: $1.name) ?? first.count, $1.name) }
    }

    @Test func theNamedTracesAreThere() {
        let names = Set(Trace.all.map(\.name))
        for name in ["ssh-session-continues-after-revoke", "http-open-to-world-cut-at-revoke", "conntrack-allowance-exhausted"] {
            #expect(names.contains(name))
        }
    }

    @Test(arguments: traces)
    func reportsMatchTheGoldenFiles(trace: Trace) throws {
        for file in ["report.md", "report.html"] {
            let out = Self.scratch.appendingPathComponent("\(trace.name)-\(file)")
            let result = try runSgreplay(trace.arguments(["--report", out.path]), in: trace.directory)
            #expect(result.status == 0, "\(result.stderr)")
            // The summary still goes to standard output, unchanged by the report.
            #expect(result.stdout == (try? String(contentsOf: trace.directory.appendingPathComponent("expected/summary.txt"), encoding: .utf8)))
            let report = try String(contentsOf: out, encoding: .utf8)
            if let difference = try assertSnapshot(report, matches: trace.directory.appendingPathComponent("expected/" + file)) {
                Issue.record("\(trace.name): \(difference)")
            }
            if file.hasSuffix(".html") { Self.expectSelfContained(report, trace.name) }
        }
    }

    /// No URL, and no attribute or CSS that would load anything.
    static func expectSelfContained(_ html: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for reference in ["http://", "https://", "src=", "href=", "srcset=", "url(", "@import", "<script", "<link", "<img", "<iframe"] {
            #expect(!html.contains(reference), "\(name): \(reference)", sourceLocation: sourceLocation)
        }
    }

    @Test func theSSHReportAnswersFirst() throws {
        let trace = try #require(Trace.all.first { $0.name == "ssh-session-continues-after-revoke" })
        let out = Self.scratch.appendingPathComponent("ssh-answer.html")
        _ = try runSgreplay(trace.arguments(["--report", out.path]), in: trace.directory)
        let html = try String(contentsOf: out, encoding: .utf8)
        let answer = try #require(html.range(of: "<section id=\"answer\">"))
        let timeline = try #require(html.range(of: "<svg id=\"timeline\""))
        let table = try #require(html.range(of: "<table id=\"still-flowing\">"))
        #expect(answer.lowerBound < timeline.lowerBound && timeline.lowerBound < table.lowerBound)
        #expect(html.contains("<g class=\"edit-marker\" id=\"edit-marker-1\" data-edit=\"revoke sg-admin/sgr-ssh\">"))
        #expect(html.contains("<tr class=\"flow\" data-flow=\"tcp 203.0.113.1:39611 &gt; 10.0.0.5:22\" data-period=\"1\">"))
        #expect(html.components(separatedBy: "<tr class=\"flow\"").count - 1 == 1)
    }

    @Test func theFormatComesFromTheExtensionOrIsAUsageError() throws {
        let trace = try #require(Trace.all.first { $0.name == "ssh-session-continues-after-revoke" })
        for name in ["r.txt", "report", "r.pdf"] {
            let out = Self.scratch.appendingPathComponent(name)
            let result = try runSgreplay(trace.arguments(["--report", out.path]), in: trace.directory)
            #expect(result.status == 2)
            #expect(result.stderr.hasPrefix("sgreplay: error: --report \(out.path)"), "\(result.stderr)")
            #expect(result.stderr.contains(".md") && result.stderr.contains(".html"))
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
        for name in ["r.markdown", "r.HTM"] {
            let out = Self.scratch.appendingPathComponent(name)
            let result = try runSgreplay(trace.arguments(["--report", out.path]), in: trace.directory)
            #expect(result.status == 0, "\(result.stderr)")
            let text = try String(contentsOf: out, encoding: .utf8)
            #expect(name.hasSuffix(".HTM") ? text.hasPrefix("<!DOCTYPE html>") : text.hasPrefix("# Incident report"))
        }
    }

    @Test func anUnwritableReportFailsBeforeTheCaptureIsRead() throws {
        let trace = try #require(Trace.all.first { $0.name == "ssh-session-continues-after-revoke" })
        let result = try runSgreplay(trace.arguments(["--report", "/nonexistent/dir/r.html"]), in: trace.directory)
        #expect(result.status == 2)
        #expect(result.stderr == "sgreplay: error: /nonexistent/dir/r.html: cannot be written: No such file or directory\n")
        #expect(result.stdout.isEmpty)
        // A failed run leaves neither the report nor its temporary file.
        let dir = Self.scratch.appendingPathComponent("failed")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let failed = try runSgreplay(["analyze", "/nonexistent/x.pcap", "--report", dir.appendingPathComponent("r.md").path])
        #expect(failed.status == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func markupInTheInputsIsEscaped() throws {
        let trace = try #require(Trace.all.first { $0.name == "ssh-session-continues-after-revoke" })
        let dir = Self.scratch.appendingPathComponent("hostile")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let capture = "cap <b>&\"x\"'.pcap"
        try? FileManager.default.removeItem(at: dir.appendingPathComponent(capture))
        try FileManager.default.copyItem(at: trace.directory.appendingPathComponent("capture.pcap"), to: dir.appendingPathComponent(capture))
        let scenario = #"""
            instance: 10.0.0.5
            groups:
              sg-admin:
                inbound:
                  - {id: sgr-ssh, rule: tcp 22 from 203.0.113.1/32, description: "<script>alert(1)</script> \"q\" 'a' &"}
                outbound:
                  - {id: sgr-out, rule: all to 0.0.0.0/0}
            timeline:
              - at: +10s
                modify: {group: sg-admin, id: sgr-ssh, rule: tcp 22 from 203.0.113.0/24, description: "<script>alert(1)</script> \"q\" 'a' & | pipe\nline"}
                note: "INC-1 <img src=x onerror=alert(2)> | x"
              - at: +11s
                attach: sg-<i>x</i>
              - at: +30s
                revoke: sg-admin/sgr-ssh
            """#
        try scenario.write(to: dir.appendingPathComponent("scenario.yaml"), atomically: true, encoding: .utf8)
        for file in ["r.html", "r.md"] {
            let result = try runSgreplay(["analyze", capture, "--policy", "scenario.yaml", "--report", file], in: dir)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let html = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
        for markup in ["<script", "<img", "<i>", "<b>", "&\"x\"", "'a'"] {
            #expect(!html.contains(markup), "unescaped \(markup)")
        }
        #expect(html.contains("&quot;&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; | pipe"))
        #expect(html.contains("INC-1 &lt;img src=x onerror=alert(2)&gt; | x"))
        #expect(html.contains("<h1>cap &lt;b&gt;&amp;&quot;x&quot;&#39;.pcap</h1>"))
        let markdown = try String(contentsOf: dir.appendingPathComponent("r.md"), encoding: .utf8)
        // Markup only as escaped text (\<) or inside a code span (the capture's name).
        for line in markdown.split(separator: "\n") {
            let outsideCode = line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 0 }
            for (_, part) in outsideCode {
                #expect(!part.replacingOccurrences(of: "\\<", with: "").contains("<"), "\(line)")
            }
        }
        #expect(markdown.contains("\\<script\\>alert(1)\\</script\\> \"q\" 'a' \\& \\| pipe line"))
        // The report's own path is left out of the command it shows.
        #expect(markdown.contains("- command: `sgreplay analyze 'cap <b>&\"x\"'\\''.pcap' --policy scenario.yaml`"))
    }

    static var chromiumInstalled: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/chromium")
        }
    }

    /// Scripts/check-report-in-browser.sh with this build's binary; only where Chromium is installed
    /// (the script installs it otherwise, which a test should not do).
    @Test(.enabled(if: chromiumInstalled, "chromium is not installed"), .timeLimit(.minutes(3)))
    func theHTMLRendersInHeadlessChromium() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let screenshot = Self.scratch.appendingPathComponent("screenshot.png")
        process.arguments = [packageRoot.appendingPathComponent("Scripts/check-report-in-browser.sh").path, screenshot.path]
        var environment = ProcessInfo.processInfo.environment
        environment["SGREPLAY"] = productsDirectory.appendingPathComponent("sgreplay").path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("check-report: DOM ok"), "\(text)")
        #expect(FileManager.default.fileExists(atPath: screenshot.path))
    }
}
