#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture
import Foundation
import Reports

/// The labels of several captures: one temporary part per capture, next to the output (standard
/// output: in the temporary directory), joined in argument order at the end, each line with a
/// `capture` key. The parts are removed however the run ends (`remove()`, and `TemporaryFiles`
/// if a signal kills the process).
struct LabelJoin {
    /// Per capture, its part (all nil when no labels were asked for).
    let paths: [String?]
    private let registrations: [Int?]

    init(labelsPath: String?, captures: Int) {
        guard let labelsPath else {
            paths = Array(repeating: nil, count: captures)
            registrations = []
            return
        }
        paths = (0..<captures).map { i in
            labelsPath == "-"
                ? FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-labels-\(getpid())-\(i + 1).jsonl").path
                : "\(labelsPath).sgreplay-part-\(getpid())-\(i + 1)"
        }
        registrations = paths.map { TemporaryFiles.add($0!) }
    }

    /// Appends every part to `output` in argument order, capture `i` named `names[i]`, and commits it.
    func join(into output: OutputFile, names: [String]) throws(ReplayError) {
        do {
            for (i, part) in paths.enumerated() {
                guard let part else { continue }
                try LabelParts.append(from: part, capture: names[i], to: output)
                unlink(part)
            }
            try output.commit()
        } catch {
            throw ReplayError(error)
        }
    }

    func remove() {
        for part in paths.compactMap({ $0 }) { unlink(part) }
        for registration in registrations { TemporaryFiles.remove(registration) }
    }
}
