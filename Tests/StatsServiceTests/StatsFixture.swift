import BackofficeAPI
import Foundation
import StatsService
import Storage
import Synchronization

/// A settable clock for tests, Unix milliseconds.
final class TestClock: Sendable {
    private let value: Mutex<Int64>

    init(_ start: Int64) { value = Mutex(start) }

    var now: Int64 { value.withLock { $0 } }

    func set(_ unixMs: Int64) { value.withLock { $0 = unixMs } }

    var function: @Sendable () -> Int64 { { [self] in now } }
}

/// A fresh directory with a stats database in it, for one test; deleted when released.
final class StatsFixture {
    let directory: String
    var databasePath: String { directory + "/stats.sqlite" }
    let clock: TestClock

    /// 2026-03-01T00:00:00Z.
    static let march1: Int64 = 1_772_323_200_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    init(now: Int64 = StatsFixture.march1 + 40 * StatsFixture.day) throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("stats-tests-\(UUID().uuidString)", isDirectory: true).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        clock = TestClock(now)
    }

    func openStore(_ configuration: StatsStore.Configuration = StatsStore.Configuration()) async throws -> StatsStore {
        try await StatsStore.open(path: databasePath, configuration: configuration, now: clock.function)
    }

    /// The number of rows of `table`, read on a separate connection.
    func count(_ table: String) throws -> Int {
        let connection = try DatabaseConnection(path: databasePath)
        defer { try? connection.close() }
        return try connection.queryOne("SELECT count(*) FROM \(table)")?.int(0) ?? -1
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension Stats.Event {
    /// A visit of `visitor` at `at`.
    static func visit(_ id: String, at: Int64, visitor: String = "v1") -> Stats.Event {
        var event = Stats.Event()
        event.eventId = id
        event.type = .visit
        event.occurredAtUnixMs = at
        event.visitorId = visitor
        event.sessionId = "s-" + visitor
        return event
    }

    /// A page view of `path` by `visitor` at `at`.
    static func pageView(_ id: String, at: Int64, path: String, content: String = "", visitor: String = "v1") -> Stats.Event {
        var event = visit(id, at: at, visitor: visitor)
        event.type = .pageView
        event.path = path
        event.contentId = content
        return event
    }

    /// A sale of `amount` minor units in `currency` at `at`.
    static func sale(
        _ id: String, at: Int64, amount: Int64, currency: String = "EUR", items: [(String, Int64, Int64)] = []
    ) -> Stats.Event {
        var event = Stats.Event()
        event.eventId = id
        event.type = .sale
        event.occurredAtUnixMs = at
        event.amountMinor = amount
        event.currency = currency
        event.orderId = "o-" + id
        event.items = items.map { sku, quantity, amount in
            var item = Stats.SoldItem()
            item.sku = sku
            item.quantity = quantity
            item.amountMinor = amount
            return item
        }
        return event
    }

    /// A refund of `amount` minor units in `currency` at `at`.
    static func refund(_ id: String, at: Int64, amount: Int64, currency: String = "EUR") -> Stats.Event {
        var event = sale(id, at: at, amount: amount, currency: currency)
        event.type = .refund
        return event
    }
}
