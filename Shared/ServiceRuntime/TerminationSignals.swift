#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Synchronization

/// SIGINT and SIGTERM as async events, so that an executable can shut down gracefully on the
/// first one and force its exit on the second (a double Ctrl-C).
///
/// Observing starts at the first call of `install()`, `stream()` or `wait()`: from then on the
/// two signals no longer terminate the process by themselves (`signal(SIG, SIG_IGN)`), and are
/// picked up by `DispatchSource` signal sources instead. A signal that arrives while nobody is
/// listening is kept and handed to the next listener, so none is lost between two `wait()`s.
///
/// ```swift
/// TerminationSignals.install()          // early in main: no signal is missed from here on
/// ... start serving ...
/// let signal = await TerminationSignals.wait()
/// log.info("shutting down", ["signal": TerminationSignals.name(of: signal)])
/// Task { _ = await TerminationSignals.wait(); exit(130) }   // a second one forces the exit
/// await server.drain()
/// ```
public enum TerminationSignals {
    /// The signals observed.
    public static let observed: [Int32] = [SIGINT, SIGTERM]

    /// Starts observing SIGINT and SIGTERM; later calls do nothing.
    public static func install() {
        SignalMonitor.shared.install()
    }

    /// Every SIGINT and SIGTERM from now on (starting with any that arrived unobserved since
    /// `install()`), until the consuming task is cancelled or drops the stream. Several streams
    /// may be open at once; each gets every signal.
    public static func stream() -> AsyncStream<Int32> {
        SignalMonitor.shared.subscribe()
    }

    /// Suspends until the next SIGINT or SIGTERM and returns its number; returns at once with a
    /// signal that arrived while nobody was waiting. Returns 0 (no signal) if the task is
    /// cancelled first.
    public static func wait() async -> Int32 {
        for await signal in stream() { return signal }
        return 0
    }

    /// `SIGINT`, `SIGTERM`, or `signal N` for another number.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}

/// The process-wide signal sources and the streams they feed.
final class SignalMonitor: Sendable {
    /// The one monitor of the process: signal dispositions are process-wide.
    static let shared = SignalMonitor()

    private struct State {
        var sources: [any DispatchSourceSignal] = []
        var subscribers: [UInt64: AsyncStream<Int32>.Continuation] = [:]
        var nextSubscriberID: UInt64 = 0
        /// Signals that arrived while nobody was listening, oldest first.
        var pending: [Int32] = []
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "backoffice.termination-signals")

    /// Ignores the signals' default action and starts the sources, once.
    func install() {
        let installedNow = state.withLock { state -> Bool in
            guard state.sources.isEmpty else { return false }
            for number in TerminationSignals.observed {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                // The handler keeps its source alive: sources last as long as the process.
                source.setEventHandler { [weak self, source] in
                    // `data` counts the signals coalesced since the handler last ran.
                    let count = max(1, Int(source.data))
                    for _ in 0..<count { self?.deliver(number) }
                }
                source.resume()
                state.sources.append(source)
            }
            return true
        }
        if installedNow { waitUntilRegistered() }
    }

    /// Waits (at most 2 s) until the sources are live, so that a signal sent right after
    /// `install()` returns is not lost. Sources register asynchronously; on Linux, libdispatch then
    /// replaces the `SIG_IGN` disposition with its own handler, which forwards the signal to its
    /// signalfd, and until then the kernel discards the signal.
    private func waitUntilRegistered() {
        #if os(Linux)
            for _ in 0..<2000 {
                let ignored = TerminationSignals.observed.contains { number in
                    var current = sigaction()
                    sigaction(number, nil, &current)
                    return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
                }
                if !ignored { return }
                usleep(1000)
            }
        #else
            queue.sync {}
        #endif
    }

    /// Hands a signal to every listener, or keeps it for the next one. The listeners are
    /// handed it after the lock is let go: handing it over resumes a waiting task, which takes
    /// that task's own lock, and a task being cancelled holds its own lock while its stream's end
    /// takes this one.
    func deliver(_ signal: Int32) {
        let listeners = state.withLock { state -> [AsyncStream<Int32>.Continuation] in
            if state.subscribers.isEmpty {
                state.pending.append(signal)
                return []
            }
            return Array(state.subscribers.values)
        }
        for continuation in listeners { continuation.yield(signal) }
    }

    /// A new stream of signals, starting with the pending ones; observing starts first.
    func subscribe() -> AsyncStream<Int32> {
        install()
        return stream()
    }

    /// A new stream of the signals `deliver` hands over, starting with the pending ones. (Its
    /// pending signals are yielded under the lock: nobody waits on a stream not yet returned.)
    func stream() -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .unbounded)
        let id = state.withLock { state in
            let id = state.nextSubscriberID
            state.nextSubscriberID += 1
            state.subscribers[id] = continuation
            for signal in state.pending { continuation.yield(signal) }
            state.pending.removeAll()
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in _ = state.subscribers.removeValue(forKey: id) }
        }
        return stream
    }
}
