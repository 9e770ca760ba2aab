#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture
import Foundation

/// Standard input copied to a temporary file, when the capture must be read more than once.
///
/// The file is removed by `remove()` (the replay's `defer`: every failure after spooling is thrown,
/// never `exit`, so it runs), and by spooling itself when it fails or is interrupted.
public struct Spool {
    public let path: String
    /// Whether `path` is a spool (standard input was copied), not the capture itself.
    public let isTemporary: Bool
    /// The spool's entry in `TemporaryFiles` (removed there if a signal kills the run).
    private let registration: Int?

    /// Spools standard input when `path` is `-` and `needed`; otherwise `path` is used as it is.
    public init(path: String, needed: Bool) throws(ReplayError) {
        guard path == "-" && needed else {
            self.path = path
            isTemporary = false
            registration = nil
            return
        }
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("sgreplay-stdin-\(getpid()).pcap").path
        unlink(spool)  // one left by an earlier run with this process id
        let out = open(spool, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard out >= 0 else {
            throw ReplayError.failed("standard input: cannot spool to \(spool): \(String(cString: strerror(errno)))")
        }
        let registration = TemporaryFiles.add(spool)
        func failed(_ what: String) -> ReplayError {
            let error = ReplayError.failed("standard input: cannot spool to \(spool): \(what): \(String(cString: strerror(errno)))")
            close(out)
            unlink(spool)
            TemporaryFiles.remove(registration)
            return error
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            if Interrupt.requested {
                close(out)
                unlink(spool)
                TemporaryFiles.remove(registration)
                throw ReplayError.interrupted(frames: 0)
            }
            let n = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failed("read failed")
            }
            if n == 0 { break }
            var offset = 0
            while offset < n {
                let w = chunk.withUnsafeBytes { write(out, $0.baseAddress! + offset, n - offset) }
                if w < 0 {
                    if errno == EINTR { continue }
                    throw failed("write failed")
                }
                offset += w
            }
        }
        if close(out) != 0 {
            let error = ReplayError.failed("standard input: cannot spool to \(spool): write failed: \(String(cString: strerror(errno)))")
            unlink(spool)
            TemporaryFiles.remove(registration)
            throw error
        }
        self.path = spool
        isTemporary = true
        self.registration = registration
    }

    /// Removes the spool (nothing when there is none).
    public func remove() {
        guard isTemporary else { return }
        unlink(path)
        TemporaryFiles.remove(registration)
    }
}
