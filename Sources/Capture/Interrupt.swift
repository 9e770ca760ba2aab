import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C (SIGINT) and SIGTERM: the read loop stops before the next frame, and the run ends
/// cleanly, leaving no half-written output.
public enum Interrupt {
    private static let flag = Atomic<Bool>(false)

    /// Whether an interrupt has arrived.
    @inline(__always)
    public static var requested: Bool { flag.load(ordering: .relaxed) }

    /// Installs the handlers (once, at start-up).
    public static func install() {
        signal(SIGINT) { _ in Interrupt.flag.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in Interrupt.flag.store(true, ordering: .relaxed) }
        // A broken pipe or a hang-up ends the process at once, as before, but first removes the
        // temporary files (`TemporaryFiles`). Left alone when inherited as ignored (nohup).
        _ = TemporaryFiles.slots
        for fatal in [SIGPIPE, SIGHUP] {
            let previous = signal(fatal) { number in
                TemporaryFiles.unlinkAll()
                signal(number, SIG_DFL)
                raise(number)
            }
            if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(fatal, SIG_IGN) }
        }
        // A parent may have blocked them (some test runners and job launchers do): unblock.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }
}
