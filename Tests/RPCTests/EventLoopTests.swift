import Foundation
import Testing
import TestSupport

@testable import RPC

/// The event loop on its own: work handed over from other threads, timers in deadline order and
/// cancellable, and Swift tasks that prefer the loop running on its thread.
@Suite(.timeLimit(.minutes(1)))
struct EventLoopTests {
    let loop = EventLoopGroup.shared.loops[0]

    @Test func workFromOtherThreadsRunsOnTheLoop() async {
        let ranOnLoop = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                loop.execute { continuation.resume(returning: loop.inEventLoop) }
            }
        }
        #expect(ranOnLoop)
        #expect(!loop.inEventLoop)
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesNever() async {
        let fired = Locked<[Int]>([])
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                let now = MonotonicTime.now()
                for (label, millis) in [(3, 60), (1, 20), (2, 40)] {
                    loop.scheduleTimer(at: now.advanced(by: .milliseconds(millis))) { fired.withLock { $0.append(label) } }
                }
                let cancelled = loop.scheduleTimer(at: now.advanced(by: .milliseconds(30))) { fired.withLock { $0.append(99) } }
                loop.cancelTimer(cancelled)
                loop.scheduleTimer(at: now.advanced(by: .milliseconds(100))) { continuation.resume() }
            }
        }
        #expect(fired.value == [1, 2, 3])
    }

    @Test func tasksPreferringTheLoopRunOnItsThreadAcrossSuspensions() async throws {
        let onLoop = try await Task(executorPreference: loop) {
            var observations = [loop.inEventLoop]
            try await Task.sleep(for: .milliseconds(5))
            observations.append(loop.inEventLoop)
            await Task.yield()
            observations.append(loop.inEventLoop)
            return observations
        }.value
        #expect(onLoop == [true, true, true])
    }

    @Test func closingAClientFailsItsCallsAndLaterOnes() async throws {
        try await TestServer.with { _, address in
            let client = RPCClient(target: address)
            let echo = BackofficeAPIEcho(client: client)
            let slow = Task { try await echo.slow() }
            try await Task.sleep(for: .milliseconds(100))
            await client.close()
            await #expect(throws: RPCError.self) { try await slow.value }
            let error = await #expect(throws: RPCError.self) { try await echo.slow() }
            #expect(error?.code == .unavailable)
        }
    }
}

import BackofficeAPI

/// A slow echo call through a given client.
private struct BackofficeAPIEcho {
    let client: RPCClient

    func slow() async throws {
        _ = try await Echo.EchoClient(channel: client).unary(.with(delayMillis: 5_000))
    }
}
