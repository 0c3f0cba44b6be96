#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
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

    @Test func namesSignals() {
        #expect(TerminationSignals.name(of: SIGINT) == "SIGINT")
        #expect(TerminationSignals.name(of: SIGTERM) == "SIGTERM")
        #expect(TerminationSignals.name(of: 99) == "signal 99")
    }
}
