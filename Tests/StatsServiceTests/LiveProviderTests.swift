import BackofficeAPI
import Foundation
import RPC
import StatsService
import Testing
import TestSupport

/// WatchLive in process: it pushes on change, and stops listening when the client cancels.
@Suite(.timeLimit(.minutes(1)))
struct LiveProviderTests {
    @Test func cancellingTheCallDetachesTheServerFromTheChangeFeed() async throws {
        let fixture = try StatsFixture(now: TimeMath.currentUnixMs())
        let store = try await fixture.openStore()
        let provider = StatsProvider(store: store, liveInterval: .seconds(60))
        try await TestServer.with(services: [IngestProvider(store: store), provider]) { _, address in
            try await TestServer.withClient(address) { client in
                let received = Locked<[Stats.LiveCounters]>([])
                let watcher = Task {
                    try await Stats.StatsClient(channel: client).watchLive(Stats.LiveRequest()) { counters in
                        received.withLock { $0.append(counters) }
                    }
                }
                var attached = false
                for _ in 0..<250 where !attached {
                    attached = store.changes.listenerCount == 1 && received.value.count == 1
                    if !attached { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(attached)

                var batch = Stats.IngestBatchRequest()
                batch.events = [.sale("s", at: fixture.clock.now, amount: 10)]
                _ = try await Stats.IngestClient(channel: client).ingestBatch(batch)
                var pushed = false
                for _ in 0..<250 where !pushed {
                    pushed = received.value.last?.salesToday == 1
                    if !pushed { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(pushed)

                watcher.cancel()
                _ = await watcher.result
                var detached = false
                for _ in 0..<250 where !detached {
                    detached = store.changes.listenerCount == 0
                    if !detached { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(detached)
            }
        }
    }
}
