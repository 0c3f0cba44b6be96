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

    @Test func loopLocalValuesAreOnePerLoopAndGoWithTheirLoopLocal() async {
        let first = EventLoop(name: "local-test-1")
        let second = EventLoop(name: "local-test-2")
        defer {
            first.stop()
            second.stop()
        }
        #expect(EventLoop.current == nil)
        #expect(EventLoop.withCurrent { $0.index } == nil)
        var local: LoopLocal<Box>? = LoopLocal { Box() }
        #expect(local?.current == nil)  // off the loops
        #expect(local?.withCurrent { _ in true } == nil)
        // On each loop: the same value every time, `current` included; another one on the other loop.
        let onFirst = await Self.run(on: first) { [local] in
            let value = local!.value(on: first)
            // The borrowing lookups find the same value.
            let same =
                value === local!.value(on: first) && value === local!.current && EventLoop.current === first
                && EventLoop.withCurrent { $0 === first } == true && local!.withCurrent({ $0 === value }) == true
                && local!.withValue(on: first) { $0 === value }
            return (Weak(value), same)
        }
        let onSecond = await Self.run(on: second) { [local] in (Weak(local!.value(on: second)), EventLoop.current === second) }
        #expect(onFirst.1 && onSecond.1)
        #expect(onFirst.0.value != nil && onFirst.0.value !== onSecond.0.value)
        local = nil
        // The loops let the values go soon after their LoopLocal went.
        for _ in 0..<200 where onFirst.0.value != nil || onSecond.0.value != nil {
            try? await Task.sleep(for: .milliseconds(5))
        }
        #expect(onFirst.0.value == nil && onSecond.0.value == nil)
    }

    /// A value for `LoopLocal`'s test.
    private final class Box {}

    /// A weak reference, to watch a value go.
    private final class Weak: @unchecked Sendable {
        weak var value: Box?
        init(_ value: Box) { self.value = value }
    }

    /// The result of `body`, run on `loop`.
    private static func run<T>(on loop: EventLoop, _ body: @escaping @Sendable () -> T) async -> T {
        nonisolated(unsafe) var result: T?
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                result = body()
                continuation.resume()
            }
        }
        return result!
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

    @Test func cancelledTimersDoNotPileUpAndTheOthersStillFire() async {
        // A loop of its own, so that no other test's timers are in its heap.
        let loop = EventLoop(name: "timer-test")
        defer { loop.stop() }
        let fired = Locked<[Int]>([])
        let heapSizes = await withCheckedContinuation { (continuation: CheckedContinuation<[Int], Never>) in
            loop.execute {
                let now = MonotonicTime.now()
                var sizes: [Int] = []
                // Like calls with a 30 s deadline that answer at once: 10,000 timers, each cancelled.
                for round in 0..<10_000 {
                    let timer = loop.scheduleTimer(at: now.advanced(by: .seconds(30))) { fired.withLock { $0.append(-1) } }
                    if round % 1000 == 0 {
                        loop.scheduleTimer(at: now.advanced(by: .milliseconds(20 + round / 100))) { fired.withLock { $0.append(round) } }
                    }
                    loop.cancelTimer(timer)
                    sizes.append(loop.timerHeapCount)
                }
                loop.scheduleTimer(at: now.advanced(by: .milliseconds(300))) { continuation.resume(returning: sizes) }
            }
        }
        #expect(heapSizes.max() ?? 0 <= 200, "the heap kept cancelled timers: \(heapSizes.max() ?? 0)")
        #expect(fired.value == Array(stride(from: 0, to: 10_000, by: 1000)))
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

    @Test func loopThreadsAreNamedAndRunAsBatchUntilToldOtherwise() async throws {
        let group = EventLoopGroup(threads: 2, name: "sched-test")
        defer { group.loops.forEach { $0.stop() } }
        for (index, loop) in group.loops.enumerated() {
            // The kernel's own answers: the thread's name in /proc, its policy from the scheduler.
            let name = await loop.submit {
                (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(name == "sched-test-\(index)")
            #expect(await loop.scheduling() == .batch)
        }

        #expect(await group.setScheduling(.normal))
        for loop in group.loops { #expect(await loop.scheduling() == .normal) }
        #expect(await group.setScheduling(.batch))
        for loop in group.loops { #expect(await loop.scheduling() == .batch) }

        let normal = EventLoopGroup(threads: 1, name: "sched-normal", scheduling: .normal)
        defer { normal.loops[0].stop() }
        #expect(await normal.loops[0].scheduling() == .normal)
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
