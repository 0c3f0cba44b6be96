import BackofficeAPI
import Foundation
import RPC

/// The buckets of a series: calendar hours, days, weeks (Monday first) or months in an IANA time
/// zone, so that a day is midnight to midnight there, 23 or 25 hours long when the clocks change.
public struct TimeBuckets: Sendable {
    /// The longest range hour buckets may cover: hour points over years are refused.
    public static let maxHourBucketRangeMs: Int64 = 366 * 86_400_000
    /// The most buckets one series may have.
    public static let maxBuckets = 10_000

    /// One bucket, clipped to the requested range.
    public struct Bucket: Sendable, Equatable {
        public var startUnixMs: Int64
        public var endUnixMs: Int64
        /// The bucket's (unclipped) start in the zone, ISO 8601 with its offset.
        public var label: String
    }

    /// The buckets, in time order; together they cover the range exactly.
    public let buckets: [Bucket]
    /// The zone they follow.
    public let timeZone: TimeZone

    /// The buckets of `width` covering `range` in `timeZone`.
    public init(range: QueryRange, width: Stats.Bucket, timeZone: TimeZone) throws {
        self.timeZone = timeZone
        let component: Calendar.Component
        switch width {
        case .hour: component = .hour
        case .day: component = .day
        case .week: component = .weekOfYear
        case .month: component = .month
        default:
            throw RPCError.invalidArgument([
                FieldViolation(field: "bucket", description: "must be BUCKET_HOUR, BUCKET_DAY, BUCKET_WEEK or BUCKET_MONTH")
            ])
        }
        if component == .hour && range.durationMs > Self.maxHourBucketRangeMs {
            throw RPCError.invalidArgument([
                FieldViolation(
                    field: "bucket", description: "hour buckets cover at most 366 days; use day, week or month buckets")
            ])
        }
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime]
        func date(_ unixMs: Int64) -> Date { Date(timeIntervalSince1970: Double(unixMs) / 1000) }
        func unixMs(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

        var buckets: [Bucket] = []
        guard var interval = calendar.dateInterval(of: component, for: date(range.startUnixMs)) else {
            throw RPCError(.internalError, "no calendar interval for the range's start")
        }
        while true {
            let start = unixMs(interval.start)
            let end = unixMs(interval.end)
            buckets.append(
                Bucket(
                    startUnixMs: max(start, range.startUnixMs), endUnixMs: min(end, range.endUnixMs),
                    label: formatter.string(from: interval.start)))
            if end >= range.endUnixMs { break }
            if buckets.count >= Self.maxBuckets {
                throw RPCError.invalidArgument([
                    FieldViolation(field: "bucket", description: "more than \(Self.maxBuckets) buckets; use wider buckets")
                ])
            }
            guard let next = calendar.dateInterval(of: component, for: interval.end), next.start > interval.start else {
                throw RPCError(.internalError, "the calendar did not advance past \(interval.end)")
            }
            interval = next
        }
        self.buckets = buckets
    }

    /// The zone named `identifier` (IANA, e.g. "Europe/Paris"); UTC when empty; INVALID_ARGUMENT
    /// naming `field` when unknown.
    public static func timeZone(named identifier: String, field: String = "time_zone") throws -> TimeZone {
        if identifier.isEmpty { return TimeZone(identifier: "UTC")! }
        guard let zone = TimeZone(identifier: identifier) else {
            throw RPCError.invalidArgument([
                FieldViolation(field: field, description: "unknown time zone \"\(identifier)\"; use an IANA name such as Europe/Paris")
            ])
        }
        return zone
    }

    /// The index of the bucket holding `unixMs`, or nil when outside every bucket.
    public func index(of unixMs: Int64) -> Int? {
        var low = 0
        var high = buckets.count
        while low < high {
            let middle = (low + high) / 2
            if buckets[middle].endUnixMs <= unixMs { low = middle + 1 } else { high = middle }
        }
        guard low < buckets.count, buckets[low].startUnixMs <= unixMs else { return nil }
        return low
    }
}
