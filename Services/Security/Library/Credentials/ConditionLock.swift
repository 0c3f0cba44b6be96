#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value guarded by a `pthread_mutex_t`, with a condition variable for threads that wait for the
/// value to change (the hashing pool's workers wait on it for jobs).
///
/// pthread primitives rather than `Synchronization.Mutex`, like `Storage`'s lock: ThreadSanitizer
/// intercepts them, so `swift test --sanitize=thread` stays free of false reports.
///
/// `@unchecked Sendable`: `value` is only read or written while the mutex is held (inside
/// `withLock` and `waitUntil`), and the values stored here are themselves Sendable.
final class ConditionLock<Value: Sendable>: @unchecked Sendable {
    /// Which waiters a change wakes.
    enum Wake {
        case none, one, all
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        let mutexCode = pthread_mutex_init(mutex, nil)
        precondition(mutexCode == 0, "pthread_mutex_init failed with \(mutexCode)")
        let conditionCode = pthread_cond_init(condition, nil)
        precondition(conditionCode == 0, "pthread_cond_init failed with \(conditionCode)")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deinitialize(count: 1)
        condition.deallocate()
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value, then wakes the waiters `wake` names.
    /// `body` must not call back into this lock.
    func withLock<Result>(wake: Wake = .none, _ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer {
            switch wake {
            case .none: break
            case .one: pthread_cond_signal(condition)
            case .all: pthread_cond_broadcast(condition)
            }
            pthread_mutex_unlock(mutex)
        }
        return try body(&value)
    }

    /// Blocks the calling thread until `body` returns a non-nil result, calling it with the lock
    /// held at first and after every wake-up. Only for threads the caller owns, never for a Swift
    /// concurrency thread.
    func waitUntil<Result>(_ body: (inout Value) -> Result?) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = body(&value) { return result }
            pthread_cond_wait(condition, mutex)
        }
    }
}
