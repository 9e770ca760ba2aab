import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files of the run (output files not yet renamed into place, spooled standard
/// input, label parts), so that a signal that ends the process at once still leaves none behind.
///
/// Failures and Ctrl-C end the run through the normal path, where each owner removes its own file.
/// A broken pipe (`sgreplay … --labels - | head`) or a hang-up kills the process where it stands:
/// `Interrupt.install` sets a handler for those that unlinks every file registered here (`unlink`
/// is async-signal-safe), then lets the signal end the process as before.
public enum TemporaryFiles {
    static let capacity = 4096
    /// The registered paths, as C strings: written under `lock`, read lock-free by the handler.
    /// A path is never freed once registered (the handler may be reading it); they are few and short.
    nonisolated(unsafe) static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
        return slots
    }()
    private static let lock = Mutex(())

    /// Registers `path`; the token to `remove` it with (nil when the table is full).
    @discardableResult
    public static func add(_ path: String) -> Int? {
        lock.withLock { _ in
            guard let free = (0..<capacity).first(where: { slots[$0] == nil }) else { return nil }
            slots[free] = strdup(path)
            return free
        }
    }

    /// The file is gone or in place: no longer to remove.
    public static func remove(_ token: Int?) {
        guard let token else { return }
        lock.withLock { _ in slots[token] = nil }
    }

    /// Unlinks every registered file. Async-signal-safe: no lock, no allocation.
    static func unlinkAll() {
        for i in 0..<capacity {
            if let path = slots[i] { unlink(path) }
        }
    }
}
