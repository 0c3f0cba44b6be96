import BackofficeAPI
import Foundation
import RPC
import StatsService
import Testing

/// Calendar buckets in IANA time zones, daylight-saving days included.
@Suite(.timeLimit(.minutes(1)))
struct TimeBucketsTests {
    static let hour: Int64 = 3_600_000
    static let paris = TimeZone(identifier: "Europe/Paris")!

    /// 2026-03-27T23:00Z, midnight of 2026-03-28 in Paris (CET).
    static let parisMarch28: Int64 = 1_774_652_400_000
    /// 2026-03-28T23:00Z, midnight of 2026-03-29 in Paris, the day the clocks go forward.
    static let parisMarch29: Int64 = 1_774_738_800_000
    /// 2026-03-30T22:00Z, midnight of 2026-03-31 in Paris (CEST).
    static let parisMarch31: Int64 = 1_774_908_000_000
    /// 2026-10-24T22:00Z and 2026-10-25T23:00Z: the day the clocks go back, in Paris.
    static let parisOctober25: Int64 = 1_792_879_200_000
    static let parisOctober26: Int64 = 1_792_969_200_000

    @Test func theSpringForwardDayInParisLasts23Hours() throws {
        let range = QueryRange(startUnixMs: Self.parisMarch28, endUnixMs: Self.parisMarch31)
        let buckets = try TimeBuckets(range: range, width: .day, timeZone: Self.paris).buckets
        #expect(buckets.map { ($0.endUnixMs - $0.startUnixMs) / Self.hour } == [24, 23, 24])
        #expect(
            buckets.map(\.label) == [
                "2026-03-28T00:00:00+01:00", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
            ])
        #expect(buckets[1].startUnixMs == Self.parisMarch29)
    }

    @Test func theFallBackDayInParisLasts25Hours() throws {
        let range = QueryRange(startUnixMs: Self.parisOctober25, endUnixMs: Self.parisOctober26)
        let buckets = try TimeBuckets(range: range, width: .day, timeZone: Self.paris).buckets
        #expect(buckets.count == 1)
        #expect(buckets[0].endUnixMs - buckets[0].startUnixMs == 25 * Self.hour)
        #expect(buckets[0].label == "2026-10-25T00:00:00+02:00")
        let hours = try TimeBuckets(range: range, width: .hour, timeZone: Self.paris).buckets
        #expect(hours.count == 25)
        #expect(hours.filter { $0.label.hasPrefix("2026-10-25T02:00:00") }.count == 2)
    }

    @Test func theSameInstantsFallInDifferentDaysInUtcAndParis() throws {
        let range = QueryRange(startUnixMs: Self.parisMarch28, endUnixMs: Self.parisMarch31)
        let utc = try TimeBuckets(range: range, width: .day, timeZone: TimeZone(identifier: "UTC")!)
        // 23:30Z on the 28th is the 29th in Paris.
        let instant = Self.parisMarch29 + 30 * 60_000
        #expect(utc.buckets[try #require(utc.index(of: instant))].label == "2026-03-28T00:00:00Z")
        let paris = try TimeBuckets(range: range, width: .day, timeZone: Self.paris)
        #expect(paris.buckets[try #require(paris.index(of: instant))].label == "2026-03-29T00:00:00+01:00")
    }

    @Test func bucketsAreClippedToTheRangeAndCoverItExactly() throws {
        let range = QueryRange(startUnixMs: Self.parisMarch28 + 5 * Self.hour, endUnixMs: Self.parisMarch31 - Self.hour)
        let buckets = try TimeBuckets(range: range, width: .day, timeZone: Self.paris).buckets
        #expect(buckets.first?.startUnixMs == range.startUnixMs)
        #expect(buckets.last?.endUnixMs == range.endUnixMs)
        for (previous, next) in zip(buckets, buckets.dropFirst()) { #expect(previous.endUnixMs == next.startUnixMs) }
    }

    @Test func weeksStartOnMondayAndMonthsOnTheFirst() throws {
        // 2026-03-01 is a Sunday.
        let range = QueryRange(startUnixMs: 1_772_323_200_000, endUnixMs: 1_772_323_200_000 + 40 * 24 * Self.hour)
        let utc = TimeZone(identifier: "UTC")!
        let weeks = try TimeBuckets(range: range, width: .week, timeZone: utc).buckets
        #expect(weeks.map(\.label).prefix(2) == ["2026-02-23T00:00:00Z", "2026-03-02T00:00:00Z"])
        let months = try TimeBuckets(range: range, width: .month, timeZone: Self.paris).buckets
        #expect(months.map(\.label) == ["2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"])
    }

    @Test func anUnknownTimeZoneIsInvalid() throws {
        let error = #expect(throws: RPCError.self) { try TimeBuckets.timeZone(named: "Mars/Olympus_Mons") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations.map(\.field) == ["time_zone"])
        #expect(try TimeBuckets.timeZone(named: "").secondsFromGMT() == 0)
    }

    @Test func hourBucketsOverMoreThanAYearAreInvalid() throws {
        let range = QueryRange(startUnixMs: Self.parisMarch28, endUnixMs: Self.parisMarch28 + 367 * 24 * Self.hour)
        let error = #expect(throws: RPCError.self) { try TimeBuckets(range: range, width: .hour, timeZone: Self.paris) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations.map(\.field) == ["bucket"])
        #expect(try TimeBuckets(range: range, width: .day, timeZone: Self.paris).buckets.count == 368)
    }

    @Test func anUnspecifiedBucketIsInvalid() throws {
        let range = QueryRange(startUnixMs: Self.parisMarch28, endUnixMs: Self.parisMarch29)
        let error = #expect(throws: RPCError.self) { try TimeBuckets(range: range, width: .unspecified, timeZone: Self.paris) }
        #expect(error?.fieldViolations.map(\.field) == ["bucket"])
    }
}
