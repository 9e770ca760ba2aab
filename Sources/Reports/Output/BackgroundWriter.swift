#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an `OutputFile`'s full buffers to its descriptor on a thread of its own, in order, so
/// that the thread producing the output (labels: the judging thread) does not wait for the kernel.
/// At most `depth` buffers wait; a producer that gets further ahead waits for one to be written.
/// The first write error is kept; nothing is written after it.
final class BackgroundWriter: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let changed: UnsafeMutablePointer<pthread_cond_t>
    private var thread = pthread_t()
    // Guarded by `lock`:
    private var waiting: [[UInt8]] = []
    private var spare: [[UInt8]] = []
    private var writing = false
    private var stopping = false
    private var failure: OutputError?
    static let depth = 4

    /// Starts the thread; nil if it cannot be started (the file is then written in place).
    init?(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
        changed = .allocate(capacity: 1)
        changed.initialize(to: pthread_cond_t())
        pthread_cond_init(changed, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        let started = pthread_create(&thread, nil, { raw in
            let writer = Unmanaged<BackgroundWriter>.fromOpaque(raw!).takeRetainedValue()
            writer.run()
            return nil
        }, context)
        guard started == 0 else {
            Unmanaged<BackgroundWriter>.fromOpaque(context).release()
            return nil
        }
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(lock)
        changed.deallocate()
        lock.deallocate()
    }

    /// Queues `buffer` for writing and gives back an empty one with room (a written one, reused).
    func submit(_ buffer: inout [UInt8]) {
        pthread_mutex_lock(lock)
        while waiting.count >= BackgroundWriter.depth { pthread_cond_wait(changed, lock) }
        waiting.append(buffer)
        buffer = spare.popLast() ?? []
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
        if buffer.capacity == 0 { buffer.reserveCapacity(OutputFile.flushThreshold + 4096) }
    }

    /// Waits until everything queued is written; the first write error, if any.
    func drain() -> OutputError? {
        pthread_mutex_lock(lock)
        while !waiting.isEmpty || writing { pthread_cond_wait(changed, lock) }
        let failure = self.failure
        pthread_mutex_unlock(lock)
        return failure
    }

    /// The first write error so far, without waiting.
    var failureSoFar: OutputError? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return failure
    }

    /// Writes what is queued, then ends the thread; the first write error, if any.
    func stop() -> OutputError? {
        let failure = drain()
        pthread_mutex_lock(lock)
        stopping = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
        pthread_join(thread, nil)
        return failure
    }

    private func run() {
        pthread_mutex_lock(lock)
        while true {
            while waiting.isEmpty && !stopping { pthread_cond_wait(changed, lock) }
            if waiting.isEmpty { break }
            var buffer = waiting.removeFirst()
            writing = true
            let failed = failure != nil
            pthread_mutex_unlock(lock)
            let error = failed ? nil : OutputFile.writeAll(buffer, to: fd, path: path)
            buffer.removeAll(keepingCapacity: true)
            pthread_mutex_lock(lock)
            if let error, failure == nil { failure = error }
            writing = false
            spare.append(buffer)
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(lock)
    }
}
