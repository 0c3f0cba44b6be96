import BackofficeAPI
import Foundation
import RPC
import StatsService
import Testing

/// Ingestion: validation, de-duplication, one transaction per batch, rollups as events arrive.
@Suite(.timeLimit(.minutes(1)))
struct IngestionTests {
    let t0 = StatsFixture.march1 + 10 * StatsFixture.hour

    @Test func acceptsNewEventsAndIgnoresRepeatedIds() async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        let first = try await store.ingest([
            .visit("e1", at: t0), .sale("e2", at: t0 + 1, amount: 1500), .visit("e1", at: t0 + 2),
        ])
        #expect(first == [.accepted, .accepted, .duplicate])
        let again = try await store.ingest([.sale("e2", at: t0 + 1, amount: 1500), .visit("e3", at: t0 + 3)])
        #expect(again == [.duplicate, .accepted])
        #expect(try fixture.count("stats_events") == 3)
        let tally = try await store.tally(QueryRange(startUnixMs: t0 - StatsFixture.hour, endUnixMs: t0 + StatsFixture.hour))
        #expect(tally.visits == 2)
        #expect(tally.sales == 1)
        #expect(tally.money["EUR"]?.grossMinor == 1500)
    }

    @Test func repeatsAcrossTheStatementsOfALargeBatchAreDuplicates() async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        // 150 events go in by statements of 64, 64, 16, 4 and 2 rows; ids 10 and 70 come back later.
        var events = (0..<150).map { Stats.Event.pageView("e\($0)", at: t0 + Int64($0), path: "/p\($0 % 7)") }
        events[100] = .visit("e10", at: t0)
        events[149] = .visit("e70", at: t0)
        let outcomes = try await store.ingest(events)
        #expect(outcomes.indices.filter { outcomes[$0] == .duplicate } == [100, 149])
        #expect(try fixture.count("stats_events") == 148)
        let top = try await store.top(.paths, range: QueryRange(startUnixMs: t0, endUnixMs: t0 + 3_600_000), limit: 10)
        #expect(top.map(\.count.count).reduce(0, +) == 148)
        #expect(top.count == 7)
        let again = try await store.ingest(Array(events[60..<80]))
        #expect(again.allSatisfy { $0 == .duplicate })
    }

    @Test func aDuplicateIsRecognisedAfterItsRawEventWasDeletedByRetention() async throws {
        let fixture = try StatsFixture()
        var configuration = StatsStore.Configuration()
        configuration.rawRetention = .seconds(86_400)
        let store = try await fixture.openStore(configuration)
        let old = fixture.clock.now - 3 * StatsFixture.day
        #expect(try await store.ingest([.sale("late", at: old, amount: 700)]) == [.accepted])
        let report = try await store.applyRetention()
        #expect(report.rawEventsDeleted == 1)
        #expect(report.eventIDsForgotten == 0)
        #expect(try fixture.count("stats_events") == 0)
        #expect(try await store.ingest([.sale("late", at: old, amount: 700)]) == [.duplicate])
        let tally = try await store.tally(QueryRange(startUnixMs: old - StatsFixture.day, endUnixMs: old + StatsFixture.day))
        #expect(tally.sales == 1)
        #expect(tally.money["EUR"]?.grossMinor == 700)
    }

    @Test func eventIdsAreForgottenAfterTheDedupeRetention() async throws {
        let fixture = try StatsFixture()
        var configuration = StatsStore.Configuration()
        configuration.rawRetention = .seconds(86_400)
        configuration.dedupeRetention = .seconds(2 * 86_400)
        let store = try await fixture.openStore(configuration)
        _ = try await store.ingest([.visit("a", at: fixture.clock.now - 1000)])
        fixture.clock.set(fixture.clock.now + 3 * StatsFixture.day)
        let report = try await store.applyRetention()
        #expect(report == RetentionReport(rawEventsDeleted: 1, eventIDsForgotten: 1))
        #expect(try fixture.count("stats_seen_events") == 0)
        #expect(try fixture.count("stats_hourly") == 1)
    }

    @Test func lateEventsLandInTheirOwnHour() async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        _ = try await store.ingest([.sale("now", at: t0, amount: 100)])
        _ = try await store.ingest([.sale("late", at: t0 - 5 * StatsFixture.hour, amount: 200)])
        let hourOfLate = TimeMath.hourFloor(t0 - 5 * StatsFixture.hour)
        let late = try await store.tally(QueryRange(startUnixMs: hourOfLate, endUnixMs: hourOfLate + StatsFixture.hour))
        #expect(late.money["EUR"]?.grossMinor == 200)
        #expect(try fixture.count("stats_hourly") == 2)
    }

    // MARK: - Bad input: per-event rejections, the rest of the batch kept

    private func expectRejected(_ bad: Stats.Event, reason: String) async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        let outcomes = try await store.ingest([.visit("ok-1", at: t0), bad, .visit("ok-2", at: t0)])
        #expect(outcomes == [.accepted, .rejected(reason), .accepted])
        #expect(try fixture.count("stats_events") == 2)
        #expect(try fixture.count("stats_seen_events") == 2)
    }

    @Test func unknownEventTypeIsRejected() async throws {
        var event = Stats.Event.visit("bad", at: t0)
        event.type = .unrecognized(42)
        try await expectRejected(event, reason: "type: unknown event type 42")
    }

    @Test func unspecifiedEventTypeIsRejected() async throws {
        var event = Stats.Event.visit("bad", at: t0)
        event.type = .unspecified
        try await expectRejected(event, reason: "type: unknown event type 0")
    }

    @Test func timeFarInTheFutureIsRejected() async throws {
        let fixture = try StatsFixture()
        try await expectRejected(
            .visit("bad", at: fixture.clock.now + 6 * 60_000),
            reason: "occurred_at_unix_ms: is more than 5 minutes in the future")
    }

    @Test func negativeAmountIsRejected() async throws {
        try await expectRejected(.sale("bad", at: t0, amount: -1), reason: "amount_minor: must not be negative")
    }

    @Test func saleWithoutCurrencyIsRejected() async throws {
        try await expectRejected(.sale("bad", at: t0, amount: 100, currency: ""), reason: "currency: is required for a sale")
    }

    @Test func missingEventIdIsRejected() async throws {
        try await expectRejected(.visit("", at: t0), reason: "event_id: is required")
    }

    @Test func malformedCurrencyIsRejected() async throws {
        try await expectRejected(
            .refund("bad", at: t0, amount: 100, currency: "eur"),
            reason: "currency: must be an ISO 4217 code of three capital letters")
    }

    @Test func aRejectedEventCanBeSentAgainOnceFixed() async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        #expect(try await store.ingest([.sale("x", at: t0, amount: -5)]) == [.rejected("amount_minor: must not be negative")])
        #expect(try await store.ingest([.sale("x", at: t0, amount: 5)]) == [.accepted])
    }

    @Test func aBatchOverTheLimitIsRefusedWholeAndNothingIsStored() async throws {
        let fixture = try StatsFixture()
        var configuration = StatsStore.Configuration()
        configuration.maxBatchEvents = 3
        let store = try await fixture.openStore(configuration)
        let events = (0..<4).map { Stats.Event.visit("e\($0)", at: t0) }
        let error = await #expect(throws: RPCError.self) { try await store.ingest(events) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations.map(\.field) == ["events"])
        #expect(error?.fieldViolations.first?.description == "a batch holds at most 3 events, not 4")
        #expect(try fixture.count("stats_events") == 0)
        #expect(try fixture.count("stats_seen_events") == 0)
        #expect(try await store.ingest(Array(events.prefix(3))) == [.accepted, .accepted, .accepted])
    }
}
