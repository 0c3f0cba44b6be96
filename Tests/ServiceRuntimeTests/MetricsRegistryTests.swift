import BackofficeAPI
import Testing
import TestSupport

@testable import RPC
@testable import ServiceRuntime

@Suite struct MetricsRegistryTests {
    @Test func countsCallsAndErrorsByCode() throws {
        let registry = MetricsRegistry()
        let method = "backoffice.echo.Echo/Unary"
        for _ in 0..<7 { registry.record(method: method, code: 0, codeName: "OK", micros: 10) }
        for _ in 0..<2 { registry.record(method: method, code: 5, codeName: "NOT_FOUND", micros: 20) }
        registry.record(method: method, code: 3, codeName: "INVALID_ARGUMENT", micros: 30)
        registry.record(method: method, code: 42, codeName: "", micros: 30)

        let snapshot = try #require(registry.snapshot().first)
        #expect(snapshot.method == method)
        #expect(snapshot.calls == 11)
        #expect(snapshot.errors == 4)
        #expect(snapshot.errorsByCode == ["NOT_FOUND": 2, "INVALID_ARGUMENT": 1, "CODE_42": 1])
        #expect(snapshot.errorsByCodeNumber == [5: 2, 3: 1, 42: 1])
        #expect(snapshot.totalMicros == 7 * 10 + 2 * 20 + 30 + 30)
        #expect(snapshot.maxMicros == 30)
        #expect(snapshot.minMicros == 10)
    }

    @Test func handlesAreStableAndShareTheSlot() {
        let registry = MetricsRegistry()
        let first = registry.handle(for: "a/B")
        let second = registry.handle(for: "a/B")
        #expect(first === second)
        first.record(code: 0, codeName: "OK", micros: 1)
        registry.record(method: "a/B", code: 0, codeName: "OK", micros: 1)
        #expect(second.snapshot().calls == 2)
    }

    @Test func bucketsUseInclusiveUpperBounds() throws {
        let registry = MetricsRegistry()
        let slot = registry.handle(for: "m/M")
        for micros: UInt64 in [0, 50, 51, 100, 1_000_000, 10_000_000, 10_000_001, .max] {
            slot.record(code: 0, codeName: "OK", micros: micros)
        }
        let snapshot = slot.snapshot()
        #expect(snapshot.bucketUpperBounds == MetricsRegistry.bucketUpperBounds)
        #expect(snapshot.bucketUpperBounds.count == 18)
        #expect(snapshot.bucketUpperBounds.last == UInt64.max)
        var expected = [UInt64](repeating: 0, count: 18)
        expected[0] = 2  // 0, 50
        expected[1] = 2  // 51, 100
        expected[13] = 1  // 1s
        expected[16] = 1  // 10s
        expected[17] = 2  // above 10s
        #expect(snapshot.bucketCounts == expected)
    }

    @Test func percentilesFromUniformInputsAreExact() {
        let slot = MetricsRegistry().handle(for: "m/M")
        // 1...1000 µs: every bucket edge up to 1 ms coincides with a sample.
        for micros in 1...1000 { slot.record(code: 0, codeName: "OK", micros: UInt64(micros)) }
        let snapshot = slot.snapshot()
        #expect(snapshot.calls == 1000)
        #expect(snapshot.p50Micros == 500)
        #expect(snapshot.p99Micros == 990)
        #expect(snapshot.percentile(0.25) == 250)
        #expect(snapshot.percentile(1) == 1000)
        #expect(snapshot.meanMicros == 500.5)
    }

    @Test func percentilesOfABimodalDistributionLandInTheRightBuckets() {
        let slot = MetricsRegistry().handle(for: "m/M")
        for _ in 0..<90 { slot.record(code: 0, codeName: "OK", micros: 40) }
        for _ in 0..<10 { slot.record(code: 0, codeName: "OK", micros: 2_000) }
        let snapshot = slot.snapshot()
        // The first bucket narrowed to [min 40, bound 50].
        #expect(snapshot.p50Micros >= 40 && snapshot.p50Micros <= 50)
        #expect(snapshot.p99Micros > 1_000 && snapshot.p99Micros <= 2_000)
        #expect(snapshot.percentile(1) == 2_000)
    }

    @Test func singleValueAndEmptyMetrics() {
        let registry = MetricsRegistry()
        let slot = registry.handle(for: "m/M")
        #expect(slot.snapshot().p50Micros == 0)
        #expect(slot.snapshot().minMicros == 0)
        slot.record(code: 0, codeName: "OK", micros: 75)
        #expect(slot.snapshot().p50Micros == 75)
        #expect(slot.snapshot().p99Micros == 75)
        slot.record(code: 0, codeName: "OK", micros: 20_000_000)
        #expect(slot.snapshot().percentile(1) == 20_000_000)
    }

    @Test func snapshotFiltersByPrefixAndSortsByMethod() {
        let registry = MetricsRegistry()
        for method in ["backoffice.echo.Echo/Unary", "backoffice.echo.Echo/Expand", "backoffice.health.Health/Check"] {
            registry.record(method: method, code: 0, codeName: "OK", micros: 1)
        }
        #expect(
            registry.snapshot().map(\.method) == [
                "backoffice.echo.Echo/Expand", "backoffice.echo.Echo/Unary", "backoffice.health.Health/Check",
            ])
        #expect(
            registry.snapshot(prefix: "backoffice.echo.").map(\.method) == [
                "backoffice.echo.Echo/Expand", "backoffice.echo.Echo/Unary",
            ])
        #expect(registry.snapshot(prefix: "nothing").isEmpty)
    }

    @Test func recordsFromSeveralEventLoopsAddUpInTheSnapshot() async throws {
        // Each loop records into its own shard; the snapshot adds them up.
        let registry = MetricsRegistry()
        let slot = registry.handle(for: "m/M")
        let loops = (0..<(MethodMetrics.shardCount + 1)).map { EventLoop(name: "metrics-\($0)") }
        defer { for loop in loops { loop.stop() } }
        for (index, loop) in loops.enumerated() {
            await loop.submit {
                for call in 0..<100 {
                    let failed = call % 10 == 0
                    slot.record(code: failed ? 5 : 0, codeName: "NOT_FOUND", micros: UInt64(10 + index * 100 + call))
                }
            }
        }
        let snapshot = try #require(registry.snapshot().first)
        #expect(snapshot.calls == UInt64(loops.count * 100))
        #expect(snapshot.errors == UInt64(loops.count * 10))
        #expect(snapshot.errorsByCode == ["NOT_FOUND": UInt64(loops.count * 10)])
        #expect(snapshot.errorsByCodeNumber == [5: UInt64(loops.count * 10)])
        #expect(snapshot.bucketCounts.reduce(0, +) == snapshot.calls)
        #expect(snapshot.minMicros == 10)
        let last = loops.count - 1
        #expect(snapshot.maxMicros == UInt64(10 + last * 100 + 99))
        var expectedTotal: UInt64 = 0
        for index in loops.indices {
            let first = 10 + index * 100
            expectedTotal += UInt64(100 * first + 4950)
        }
        #expect(snapshot.totalMicros == expectedTotal)
    }

    @Test func callsToMadeUpMethodNamesShareOneEntry() async throws {
        // A client may name any method; a server must not keep metrics per made-up name.
        let registry = MetricsRegistry()
        try await TestServer.with(configure: { $0.observers = [MetricsObserver(registry: registry)] }) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            for index in 0..<20 {
                let id = UInt32(2 * index + 1)
                try await raw.sendUnaryCall(id, method: "made.up.Service\(index)/Method", request: Echo.EchoRequest.with())
                let status = try await raw.frame(ofType: RawConnection.FrameKind.status, timeout: 5)
                #expect(try RawConnection.status(of: status).code == StatusCode.unimplemented.rawValue)
            }
            try await TestServer.withClient(address) { client in
                _ = try await Echo.EchoClient(channel: client).unary(.with())
            }
            let byMethod = Dictionary(uniqueKeysWithValues: registry.snapshot().map { ($0.method, $0) })
            #expect(Set(byMethod.keys) == [MetricsRegistry.unlistedMethods, Echo.EchoService.unary.fullName])
            #expect(byMethod[MetricsRegistry.unlistedMethods]?.calls == 20)
            #expect(byMethod[MetricsRegistry.unlistedMethods]?.errorsByCode == ["UNIMPLEMENTED": 20])
            #expect(byMethod[Echo.EchoService.unary.fullName]?.calls == 1)
        }
    }

    @Test func concurrentRecordingKeepsExactTotals() async {
        let registry = MetricsRegistry()
        let tasks = 16
        let perTask = 5_000
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    let slot = registry.handle(for: task % 2 == 0 ? "s/Even" : "s/Odd")
                    for index in 0..<perTask {
                        if index % 100 == 0 {
                            registry.record(method: "s/Shared", code: 14, codeName: "UNAVAILABLE", micros: UInt64(index))
                        }
                        slot.record(code: index % 10 == 0 ? 4 : 0, codeName: "DEADLINE_EXCEEDED", micros: UInt64(index % 1000))
                    }
                }
            }
        }
        let snapshots = registry.snapshot()
        #expect(snapshots.map(\.method) == ["s/Even", "s/Odd", "s/Shared"])
        let even = snapshots[0]
        #expect(even.calls == UInt64(tasks / 2 * perTask))
        #expect(even.bucketCounts.reduce(0, +) == even.calls)
        #expect(even.errorsByCode == ["DEADLINE_EXCEEDED": UInt64(tasks / 2 * perTask / 10)])
        #expect(even.totalMicros == UInt64(tasks / 2) * UInt64(perTask / 1000) * 499_500)
        #expect(even.maxMicros == 999)
        let shared = snapshots[2]
        #expect(shared.calls == UInt64(tasks * perTask / 100))
        #expect(shared.errors == shared.calls)
    }
}
