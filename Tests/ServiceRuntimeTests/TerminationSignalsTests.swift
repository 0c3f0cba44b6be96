#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Synchronization
import Testing

@testable import ServiceRuntime

/// Collects what a signal stream delivers, for polling.
private final class SignalLog: Sendable {
    private let received = Mutex<[Int32]>([])

    /// The signals received so far.
    var signals: [Int32] { received.withLock { $0 } }

    /// Consumes `stream` in the background until the returned task is cancelled.
    func consume(_ stream: AsyncStream<Int32>) -> Task<Void, Never> {
        Task { for await signal in stream { self.received.withLock { $0.append(signal) } } }
    }

    /// Polls until `count` signals have arrived or `seconds` have passed.
    func waitFor(_ count: Int, within seconds: Int = 10) async -> [Int32] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while signals.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return signals
    }
}

/// The tests raise real signals at this process; they run one at a time, since every stream sees
/// every signal.
@Suite(.serialized) struct TerminationSignalsTests {
    @Test func streamSeesFirstAndSecondSignal() async throws {
        TerminationSignals.install()
        let log = SignalLog()
        let consumer = log.consume(TerminationSignals.stream())
        defer { consumer.cancel() }
        kill(getpid(), SIGTERM)
        #expect(await log.waitFor(1) == [SIGTERM])
        // A second signal during "shutdown" is observable too.
        kill(getpid(), SIGINT)
        #expect(await log.waitFor(2) == [SIGTERM, SIGINT])
    }

    @Test func waitReturnsTheSignalAndKeepsOneThatArrivesBetweenWaits() async throws {
        TerminationSignals.install()
        async let first = TerminationSignals.wait()
        // Give the waiter time to subscribe so the signal is delivered to it, not kept.
        try await Task.sleep(for: .milliseconds(100))
        kill(getpid(), SIGINT)
        #expect(await first == SIGINT)

        // Nobody is waiting now: the signal is kept for the next wait.
        kill(getpid(), SIGTERM)
        try await Task.sleep(for: .milliseconds(200))
        #expect(await TerminationSignals.wait() == SIGTERM)
    }

    @Test func cancelledWaitReturnsZero() async {
        TerminationSignals.install()
        let waiter = Task { await TerminationSignals.wait() }
        try? await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        #expect(await waiter.value == 0)
    }

    /// A signal delivered to a waiter while that waiter is cancelled. Delivering resumes the
    /// waiter's task, and cancelling ends its stream, whose end takes the monitor's lock: neither
    /// may wait for the other. (A service stopped by two SIGTERMs used to hang here, as it
    /// cancelled its wait for the second one.) A fresh monitor, fed by hand: no real signal.
    @Test func aSignalDeliveredAsItsWaiterIsCancelledBlocksNothing() async {
        let monitor = SignalMonitor()
        for _ in 0..<300 {
            let waiter = Task { for await _ in monitor.stream() { return } }
            try? await Task.sleep(for: .microseconds(200))
            let finished = Atomic<Int>(0)
            DispatchQueue.global().async {
                monitor.deliver(SIGTERM)
                finished.add(1, ordering: .releasing)
            }
            DispatchQueue.global().async {
                waiter.cancel()
                finished.add(1, ordering: .releasing)
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while finished.load(ordering: .acquiring) < 2, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(1))
            }
            guard finished.load(ordering: .acquiring) == 2 else {
                Issue.record("delivering a signal and cancelling its waiter blocked each other")
                return
            }
            await waiter.value
        }
    }

    @Test func namesSignals() {
        #expect(TerminationSignals.name(of: SIGINT) == "SIGINT")
        #expect(TerminationSignals.name(of: SIGTERM) == "SIGTERM")
        #expect(TerminationSignals.name(of: 99) == "signal 99")
    }
}
