import CSystem
import Glibc
import Synchronization

/// A point on the monotonic clock, in nanoseconds.
struct MonotonicTime: Comparable, Sendable {
    var nanoseconds: UInt64

    static func now() -> MonotonicTime {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicTime(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }

    func advanced(by duration: Duration) -> MonotonicTime {
        let (seconds, attoseconds) = duration.components
        let nanos = max(0, seconds) * 1_000_000_000 + max(0, attoseconds) / 1_000_000_000
        return MonotonicTime(nanoseconds: nanoseconds &+ UInt64(nanos))
    }

    func nanoseconds(since earlier: MonotonicTime) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }

    static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

/// Something registered with an event loop for readiness events on a descriptor.
protocol EventLoopIOHandler: AnyObject {
    /// Called on the loop's thread with the epoll event bits.
    func handleEvents(_ events: UInt32)
}

/// Something with bytes to write at the end of the loop's current iteration.
protocol EventLoopFlushable: AnyObject {
    func flushNow()
}

/// A timer scheduled on an event loop; cancelling an expired timer does nothing.
struct TimerID: Hashable, Sendable {
    fileprivate let value: UInt64
}

/// One thread running an epoll loop: it owns descriptors, runs timers, runs closures handed to
/// it, and executes Swift tasks that prefer it (it is a `TaskExecutor`).
///
/// A connection lives on one loop, and the tasks serving its calls run on that same loop, so a
/// call's hot path stays on one thread: read, decode, handle, encode, and one write for every
/// response that became ready in the same iteration.
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: the fields below `inbox` are touched only on the loop's own thread;
    // other threads reach the loop through `inbox`, which is behind a mutex.

    /// Work handed over by other threads.
    private struct Inbox: ~Copyable {
        var jobs: [UnownedJob] = []
        var closures: [() -> Void] = []
        var sleeping = false
        var stopRequested = false
    }

    private let inbox = Mutex(Inbox())
    private let epollFD: Int32
    private let wakeFD: Int32
    private let name: String
    private var threadID = pthread_t()
    private let started = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    private var jobs: [UnownedJob] = []
    private var closures: [() -> Void] = []
    private var handlers: [Int32: any EventLoopIOHandler] = [:]
    private var flushQueue: [any EventLoopFlushable] = []
    private var timerHeap: [(deadline: MonotonicTime, id: UInt64)] = []
    private var timerActions: [UInt64: () -> Void] = [:]
    /// Entries of `timerHeap` whose timer was cancelled. Most timers are deadlines that get
    /// cancelled long before they are due (a call's 30 s, when it answers in 100 µs), so the heap
    /// is rebuilt without them once they are the majority: it stays about as big as the number of
    /// live timers instead of growing with every call made in the last 30 s.
    private var cancelledTimers = 0
    /// When the loop last woke up: a clock for what needs no precision finer than one pass of
    /// the loop (a connection's last activity), read once per wake-up instead of once per frame.
    private(set) var wokeAt = MonotonicTime.now()
    private var nextTimerID: UInt64 = 1
    /// The values `LoopLocal`s keep for this loop, at their id (ids are small and dense), each
    /// held retained until `removeLocal`: a lookup borrows its value without retaining it. Touched
    /// by the loop's thread alone, so its accesses are not checked at run time (a check cost as
    /// much as the lookup).
    @usableFromInline @exclusivity(unchecked) var locals: [Unmanaged<AnyObject>?] = []

    /// How the loop's thread is scheduled until `setScheduling` changes it.
    private let initialScheduling: LoopScheduling

    /// Starts a loop on a new thread named `name`, scheduled as `scheduling` asks.
    init(name: String, scheduling: LoopScheduling = .batch) {
        self.name = name
        initialScheduling = scheduling
        index = Self.loopsCreated.wrappingAdd(1, ordering: .relaxed).oldValue
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        precondition(epollFD >= 0 && wakeFD >= 0, "cannot create epoll or eventfd: errno \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        startThread()
    }

    private func startThread() {
        let box = Unmanaged.passRetained(self)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let status = pthread_create(
            &thread, &attributes,
            { argument in
                let loop = Unmanaged<EventLoop>.fromOpaque(argument!).takeRetainedValue()
                loop.threadID = pthread_self()
                pthread_setspecific(EventLoop.currentKey, argument)
                _ = loop.name.withCString { csystem_set_thread_name($0) }
                // Best effort: a kernel or sandbox that refuses leaves the thread as it was
                // (`setScheduling` reports it).
                _ = loop.initialScheduling.applyToCurrentThread()
                loop.started.store(true, ordering: .releasing)
                loop.run()
                return nil
            }, box.toOpaque())
        pthread_attr_destroy(&attributes)
        precondition(status == 0, "cannot start event loop thread: \(status)")
        while !started.load(ordering: .acquiring) { sched_yield() }
    }

    /// Puts the loop's thread under `scheduling`; false when the kernel refused (the thread keeps
    /// the policy it had).
    public func setScheduling(_ scheduling: LoopScheduling) async -> Bool {
        await submit { scheduling.applyToCurrentThread() }
    }

    /// How the kernel schedules the loop's thread now; `nil` for a policy other than the two a
    /// loop is put under.
    public func scheduling() async -> LoopScheduling? {
        await submit { LoopScheduling.ofCurrentThread }
    }

    /// Whether the caller runs on this loop's thread.
    public var inEventLoop: Bool { pthread_equal(pthread_self(), threadID) != 0 }

    /// A number told apart from every other loop's of the process (0, 1, 2... in creation order).
    public let index: Int
    private static let loopsCreated = Atomic<Int>(0)

    /// The loop whose thread runs the caller; `nil` on any other thread.
    public static var current: EventLoop? {
        pthread_getspecific(currentKey).map { Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with the loop whose thread runs the caller, without retaining the loop (as
    /// `current` does) for a look that ends with `body`; `nil` on any other thread.
    @inlinable
    public static func withCurrent<Result>(_ body: (EventLoop) -> Result) -> Result? {
        guard let raw = pthread_getspecific(currentKey) else { return nil }
        return Unmanaged<EventLoop>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }

    /// Each loop thread's own loop (loops live as long as the process, so it is not retained).
    @usableFromInline
    static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "cannot create the event loops' thread key")
        return key
    }()

    // MARK: Loop-local values (loop thread only)

    /// The value a `LoopLocal` keeps here under `id`, if it made one (unretained: the loop holds it).
    @inlinable
    func localValue(_ id: Int) -> Unmanaged<AnyObject>? { id < locals.count ? locals[id] : nil }

    /// Keeps `value` for the `LoopLocal` whose id is `id`.
    func setLocalValue(_ value: AnyObject, _ id: Int) {
        if id >= locals.count { locals.append(contentsOf: repeatElement(nil, count: id + 1 - locals.count)) }
        locals[id]?.release()
        locals[id] = .passRetained(value)
    }

    /// Forgets the value kept under `id` (its `LoopLocal` is gone).
    func removeLocal(_ id: Int) {
        guard id < locals.count else { return }
        locals[id]?.release()
        locals[id] = nil
    }

    // MARK: Handing work to the loop

    /// Runs `work` on the loop's thread and returns what it returns, from any thread.
    public func submit<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            execute { continuation.resume(returning: work()) }
        }
    }

    /// Runs `work` on the loop: right away when called on the loop, otherwise soon.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if inEventLoop {
            work()
        } else {
            enqueueFromOtherThread { $0.closures.append(work) }
        }
    }

    /// Runs `work` on the loop in a later step of the current iteration, even when called on it.
    func executeSoon(_ work: @escaping () -> Void) {
        if inEventLoop {
            closures.append(work)
        } else {
            nonisolated(unsafe) let work = work
            enqueueFromOtherThread { $0.closures.append(work) }
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if inEventLoop {
            jobs.append(job)
        } else {
            enqueueFromOtherThread { $0.jobs.append(job) }
        }
    }

    private func enqueueFromOtherThread(_ add: (inout Inbox) -> Void) {
        let mustWake = inbox.withLock { inbox in
            add(&inbox)
            defer { inbox.sleeping = false }
            return inbox.sleeping
        }
        if mustWake {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    // MARK: Descriptors, flushes and timers (loop thread only)

    func register(_ fd: Int32, events: UInt32, handler: any EventLoopIOHandler) throws(IOError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        try blockingSystemCall("epoll_ctl(ADD)") { epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }
        handlers[fd] = handler
    }

    func modify(_ fd: Int32, events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Stops watching `fd` and closes it.
    func closeDescriptor(_ fd: Int32) {
        if handlers.removeValue(forKey: fd) != nil {
            epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        }
        Glibc.close(fd)
    }

    /// Asks for `target.flushNow()` at the end of this iteration; callers de-duplicate.
    func scheduleFlush(_ target: any EventLoopFlushable) {
        flushQueue.append(target)
    }

    /// Runs `action` on the loop once `deadline` has passed.
    @discardableResult
    func scheduleTimer(at deadline: MonotonicTime, _ action: @escaping () -> Void) -> TimerID {
        let id = nextTimerID
        nextTimerID += 1
        timerActions[id] = action
        timerHeap.append((deadline, id))
        siftUp(timerHeap.count - 1)
        return TimerID(value: id)
    }

    func cancelTimer(_ timer: TimerID) {
        guard timerActions.removeValue(forKey: timer.value) != nil else { return }
        cancelledTimers += 1
        if cancelledTimers > 64 && cancelledTimers * 2 > timerHeap.count { compactTimers() }
    }

    /// Drops cancelled timers from the heap and restores its order.
    private func compactTimers() {
        timerHeap.removeAll { timerActions[$0.id] == nil }
        cancelledTimers = 0
        var index = timerHeap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    /// Timers in the heap, cancelled ones not yet dropped included (for tests).
    var timerHeapCount: Int { timerHeap.count }

    // MARK: The loop

    /// Stops the loop after its current iteration; tasks still queued are dropped.
    func stop() {
        enqueueFromOtherThread { $0.stopRequested = true }
        if inEventLoop { stopped.store(true, ordering: .relaxed) }
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopped.load(ordering: .relaxed) {
            runQueuedWork()
            runDueTimers()
            runQueuedWork()
            flushPending()

            var timeout: Int32 = 0
            if jobs.isEmpty && closures.isEmpty {
                timeout = nextTimerTimeoutMillis()
                let stop = inbox.withLock { inbox -> Bool in
                    if inbox.stopRequested { return true }
                    if !inbox.jobs.isEmpty || !inbox.closures.isEmpty { timeout = 0 } else { inbox.sleeping = true }
                    return false
                }
                if stop { break }
            }
            let count = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            wokeAt = MonotonicTime.now()
            takeInbox()
            guard count > 0 else { continue }
            for index in 0..<Int(count) {
                let fd = events[index].data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                } else if let handler = handlers[fd] {
                    handler.handleEvents(events[index].events)
                }
            }
        }
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
    }

    private func takeInbox() {
        inbox.withLock { inbox in
            inbox.sleeping = false
            if !inbox.jobs.isEmpty {
                jobs.append(contentsOf: inbox.jobs)
                inbox.jobs.removeAll(keepingCapacity: true)
            }
            if !inbox.closures.isEmpty {
                closures.append(contentsOf: inbox.closures)
                inbox.closures.removeAll(keepingCapacity: true)
            }
            if inbox.stopRequested { stopped.store(true, ordering: .relaxed) }
        }
    }

    /// Runs queued closures and task jobs, including those they queue, a bounded number of rounds
    /// so that I/O is never starved.
    private func runQueuedWork() {
        var rounds = 0
        while (!jobs.isEmpty || !closures.isEmpty) && rounds < 16 {
            rounds += 1
            if !closures.isEmpty {
                let batch = closures
                closures.removeAll(keepingCapacity: true)
                for work in batch { work() }
            }
            if !jobs.isEmpty {
                let batch = jobs
                jobs.removeAll(keepingCapacity: true)
                let executor = asUnownedTaskExecutor()
                for job in batch { job.runSynchronously(on: executor) }
            }
        }
    }

    private func flushPending() {
        while !flushQueue.isEmpty {
            let batch = flushQueue
            flushQueue.removeAll(keepingCapacity: true)
            for target in batch { target.flushNow() }
        }
    }

    private func nextTimerTimeoutMillis() -> Int32 {
        while let first = timerHeap.first, timerActions[first.id] == nil {
            popTimer()
            cancelledTimers -= 1
        }
        guard let first = timerHeap.first else { return -1 }
        let now = MonotonicTime.now()
        if first.deadline <= now { return 0 }
        let millis = (first.deadline.nanoseconds(since: now) + 999_999) / 1_000_000
        return Int32(min(millis, 60_000))
    }

    private func runDueTimers() {
        guard !timerHeap.isEmpty else { return }
        let now = MonotonicTime.now()
        while let first = timerHeap.first, first.deadline <= now {
            popTimer()
            if let action = timerActions.removeValue(forKey: first.id) { action() } else { cancelledTimers -= 1 }
        }
    }

    private func popTimer() {
        timerHeap.swapAt(0, timerHeap.count - 1)
        timerHeap.removeLast()
        siftDown(0)
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard timerHeap[child].deadline < timerHeap[parent].deadline else { return }
            timerHeap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < timerHeap.count && timerHeap[left].deadline < timerHeap[smallest].deadline { smallest = left }
            if right < timerHeap.count && timerHeap[right].deadline < timerHeap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            timerHeap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// A fixed set of event loops, one per core by default; connections are spread over them.
public final class EventLoopGroup: Sendable {
    /// The loops, each on its own thread.
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)

    /// Starts `threads` loops, their threads named `name-0`, `name-1`... and scheduled as
    /// `scheduling` asks.
    public init(threads: Int, name: String = "rpc", scheduling: LoopScheduling = .batch) {
        precondition(threads > 0)
        loops = (0..<threads).map { EventLoop(name: "\(name)-\($0)", scheduling: scheduling) }
    }

    /// Puts every loop's thread under `scheduling`; false when the kernel refused it for any.
    public func setScheduling(_ scheduling: LoopScheduling) async -> Bool {
        var applied = true
        for loop in loops where await !loop.setScheduling(scheduling) { applied = false }
        return applied
    }

    /// The loop for the next connection, round robin.
    public func next() -> EventLoop {
        loops[nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// The process-wide group, one loop per core, started on first use and never stopped.
    public static let shared = EventLoopGroup(threads: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
}

/// How the kernel schedules an event loop's thread against the other threads that share its cores.
///
/// A loop sleeps in `epoll_wait` until a socket is ready. Under the kernel's default policy the
/// loop that wakes preempts the thread running on the core at once, often another loop in the
/// middle of its pass; that thread resumes later to finish, and both passes handle fewer calls
/// than they could. On a busy machine with more loops than cores (a client, the gateway and a
/// service on two cores) that happens many times a second, and in a virtual machine one switch
/// can cost about as much as a call's own work in one process. `batch` lets the woken loop wait
/// until the running thread blocks or uses up its time slice: fewer switches, bigger passes. On
/// an idle core a woken loop runs at once either way.
public enum LoopScheduling: String, Sendable, CaseIterable {
    /// `SCHED_BATCH`: a woken loop does not preempt the running thread. The default.
    case batch
    /// `SCHED_OTHER`, the kernel's default: a woken loop may preempt the running thread, which
    /// can shorten one call's wait on a core shared with busy work that is not a loop.
    case normal

    /// The kernel's number for the policy.
    private var policy: Int32 {
        switch self {
        case .batch: CSYSTEM_SCHED_BATCH
        case .normal: CSYSTEM_SCHED_OTHER
        }
    }

    /// Puts the calling thread under the policy; false when the kernel refused.
    func applyToCurrentThread() -> Bool { csystem_set_thread_policy(policy) == 0 }

    /// The calling thread's policy, if it is one of these.
    static var ofCurrentThread: LoopScheduling? {
        let current = csystem_thread_policy()
        return allCases.first { $0.policy == current }
    }
}
