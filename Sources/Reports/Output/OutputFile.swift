#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture

/// A buffered output file that appears under its name only when complete.
///
///     let out = try OutputFile(path: "labels.jsonl")    // writes "labels.jsonl.sgreplay-tmp-<pid>"
///     out.append(bytes); try out.commit()               // flush, fsync-free close, rename into place
///
/// `-` is standard output (written through, never renamed). Until `commit()` a half-written file
/// never stands under the requested name, so an interrupted or failed run leaves nothing that looks
/// whole; `discard()` removes the temporary file.
///
/// A path that is a symbolic link is written through, as the shell's `>` does: the temporary file is
/// made next to the file the link points to (after every link of a chain; created when the link
/// dangles) and renamed onto it, so the link stays and points to the new content. A path that is a
/// device or a pipe (`/dev/null`, a FIFO) is written directly, never replaced. A hard-linked file is
/// replaced under this name only (its other names keep the old content). That an output is not an
/// input is checked before (`FilePaths` in the command line).
public final class OutputFile {
    public let path: String
    /// The file renamed onto at `commit()`: `path`, or where its symbolic link leads.
    private let destination: String
    private let temporaryPath: String?
    /// The temporary file's entry in `TemporaryFiles` (removed there if a signal kills the run).
    private var registration: Int?
    /// Whether `fd` is ours to close (a device or pipe written directly).
    private let ownsDescriptor: Bool
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
            destination = path
            ownsDescriptor = false
        } else {
            guard let target = OutputFile.destination(of: path) else {
                throw OutputError(path: path, message: "cannot be written: too many levels of symbolic links")
            }
            destination = target
            var info = stat()
            if stat(target, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                throw OutputError(path: path, message: "is a directory")
            }
            if stat(target, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
                // A device or a pipe: written as it is, nothing to rename.
                fd = open(target, O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    throw OutputError(path: path, message: "cannot be written: \(OutputFile.errnoText())")
                }
                temporaryPath = nil
                ownsDescriptor = true
            } else {
                let tmp = target + ".sgreplay-tmp-\(getpid())"
                // O_EXCL: never write through whatever already stands under the temporary name; one
                // left by an earlier run of this process id is removed and made anew.
                fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                if fd < 0 && errno == EEXIST {
                    unlink(tmp)
                    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                }
                guard fd >= 0 else {
                    throw OutputError(path: path, message: "cannot be written: \(OutputFile.errnoText())")
                }
                temporaryPath = tmp
                ownsDescriptor = true
                registration = TemporaryFiles.add(tmp)
            }
        }
        buffer.reserveCapacity(OutputFile.flushThreshold + 4096)
    }

    /// Where writing `path` lands: `path` itself, or — when it is a symbolic link — the file at the
    /// end of the link chain, whether it exists or not. Nil for a chain of more than 40 links (a loop).
    public static func destination(of path: String) -> String? {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return current }
            var bytes = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = bytes.withUnsafeMutableBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { readlink(current, $0.baseAddress!, $0.count - 1) }
            }
            guard n > 0 else { return current }
            let target = String(decoding: bytes[..<n], as: UTF8.self)
            if target.hasPrefix("/") {
                current = target
            } else if let slash = current.lastIndex(of: "/") {
                current = String(current[...slash]) + target
            } else {
                current = target
            }
        }
        return nil
    }

    deinit {
        if ownsDescriptor && fd >= 0 { discard() }
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
        guard ownsDescriptor, fd >= 0 else { return }
        if close(fd) != 0 {
            let error = OutputError(path: path, message: "write failed: \(OutputFile.errnoText())")
            fd = -1
            if let temporaryPath { unlink(temporaryPath) }
            TemporaryFiles.remove(registration)
            throw error
        }
        fd = -1
        guard let temporaryPath else { return }
        defer { TemporaryFiles.remove(registration) }
        if rename(temporaryPath, destination) != 0 {
            let error = OutputError(path: path, message: "cannot be written: \(OutputFile.errnoText())")
            unlink(temporaryPath)
            throw error
        }
    }

    /// Drops a file that will not be completed.
    public func discard() {
        stopWriter()
        buffer.removeAll()
        guard ownsDescriptor, fd >= 0 else { return }
        close(fd)
        fd = -1
        if let temporaryPath { unlink(temporaryPath) }
        TemporaryFiles.remove(registration)
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
