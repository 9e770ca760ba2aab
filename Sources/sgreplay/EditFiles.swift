import Firewall
import Foundation

/// `--edit` items written out as timeline files for the loader.
struct EditFiles {
    let directory: URL?
    let paths: [String]

    init(_ edits: [String]) {
        guard !edits.isEmpty else {
            directory = nil
            paths = []
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-edits-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var paths: [String] = []
        for (i, edit) in edits.enumerated() {
            let url = directory.appendingPathComponent("edit-\(i + 1).yaml")
            try? "timeline:\n  - \(edit)\n".write(to: url, atomically: true, encoding: .utf8)
            paths.append(url.path)
        }
        self.directory = directory
        self.paths = paths
    }

    /// A loader message about one of these files, naming the option instead.
    func rename(_ message: String) -> String {
        var text = message
        for (i, path) in paths.enumerated() {
            text = text.replacingOccurrences(of: path + ":2", with: "--edit \(i + 1)")
            text = text.replacingOccurrences(of: path, with: "--edit \(i + 1)")
        }
        return text
    }

    /// Names the option, not the temporary file, in the loaded timeline's sources and warnings.
    func rename(_ loaded: inout LoadedPolicy) {
        func renamed(_ source: SourceLocation?) -> SourceLocation? {
            guard var source, let i = paths.firstIndex(of: source.file) else { return source }
            source.file = "--edit \(i + 1)"
            source.line = nil
            return source
        }
        loaded.timeline = Timeline(loaded.timeline.edits.map { edit in
            var edit = edit
            edit.source = renamed(edit.source)
            return edit
        })
        loaded.warnings = loaded.warnings.map { warning in
            var warning = warning
            warning.source = renamed(warning.source)
            return warning
        }
    }

    func remove() {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
}
