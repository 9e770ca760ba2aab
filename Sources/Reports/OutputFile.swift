#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered output file that appears under its name only when complete.
///
///     let out = try OutputFile(path: "labels.jsonl")    // writes "labels.jsonl.sgreplay-tmp-<pid>"
///     out.append(bytes); try out.commit()               // flush, fsync-free close, rename into place
///
/// `-` is standard output (written through, never renamed). Until `commit()` a half-written file
/// never stands under the requested name, so an interrupted or failed run leaves nothing that looks
/// whole; `discard()` removes the temporary file.
public final class OutputFile {
    public let path: String
    private let temporaryPath: String?
    private var fd: Int32
    /// Bytes waiting to be written; flushed when it passes `flushThreshold`.
    public var buffer: [UInt8] = []
    static let flushThreshold = 1 << 16
    private var failure: OutputError?
    /// Writes full buffers on another thread once `writeInBackground()` was called.
    private var writer: BackgroundWriter?

    public init(path: String) throws(OutputError) {
        self.path = path
        if path == "-" {
            fd = STDOUT_FILENO
            temporaryPath = nil
        } else {
            var info = stat()
            if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                throw OutputError(path: path, message: "is a directory")
            }
            let tmp = path + ".sgreplay-tmp-\(getpid())"
            fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw OutputError(path: path, message: "cannot be written: \(OutputFile.errnoText())")
            }
            temporaryPath = tmp
        }
        buffer.reserveCapacity(OutputFile.flushThreshold + 4096)
    }

    deinit {
        if temporaryPath != nil && fd >= 0 { discard() }
        if let writer { _ = writer.stop() }
    }

    /// From now on full buffers are written by a thread of their own (`BackgroundWriter`): for
    /// large outputs (labels), so that the thread that formats them does not wait for the kernel.
    /// Errors are reported as before, by `check()` and `commit()`.
    public func writeInBackground() {
        guard writer == nil, fd >= 0 else { return }
        writer = BackgroundWriter(fd: fd, path: path)
    }

    /// Appends and flushes when the buffer is full. Write errors are kept and reported by `commit()`
    /// (or `check()`), so the hot loop does not throw.
    @inlinable
    public func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        flushIfFull()
    }

    @inlinable
    public func flushIfFull() {
        if buffer.count >= 1 << 16 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        if let writer {
            writer.submit(&buffer)
            return
        }
        if failure == nil { failure = OutputFile.writeAll(buffer, to: fd, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes every byte of `bytes` to `fd` (retrying short and interrupted writes); the error, if any.
    static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) -> OutputError? {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return OutputError(path: path, message: "write failed: \(OutputFile.errnoText())")
                }
                offset += n
            }
            return nil
        }
    }

    /// Throws the first write error so far, if any.
    public func check() throws(OutputError) {
        if let failure = failure ?? writer?.failureSoFar { throw failure }
    }

    /// Ends background writing: everything queued is written first.
    private func stopWriter() {
        guard let writer else { return }
        self.writer = nil
        if let error = writer.stop(), failure == nil { failure = error }
    }

    /// Flushes, closes, and renames the file into place.
    public func commit() throws(OutputError) {
        flush()
        stopWriter()
        if let failure { discard(); throw failure }
        guard let temporaryPath else { return }
        if close(fd) != 0 {
            let error = OutputError(path: path, message: "write failed: \(OutputFile.errnoText())")
            fd = -1
            unlink(temporaryPath)
            throw error
        }
        fd = -1
        if rename(temporaryPath, path) != 0 {
            let error = OutputError(path: path, message: "cannot be written: \(OutputFile.errnoText())")
            unlink(temporaryPath)
            throw error
        }
    }

    /// Drops a file that will not be completed.
    public func discard() {
        stopWriter()
        buffer.removeAll()
        guard let temporaryPath, fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// An output that cannot be written: which file and why.
public struct OutputError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path == "-" ? "standard output" : path): \(message)" }
}
