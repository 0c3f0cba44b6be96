import BackofficeAPI
import RPC

/// A validated half-open range of time, [start, end), Unix milliseconds.
public struct QueryRange: Sendable, Equatable {
    public let startUnixMs: Int64
    public let endUnixMs: Int64

    /// A range; `start` must be before `end`.
    public init(startUnixMs: Int64, endUnixMs: Int64) {
        precondition(startUnixMs < endUnixMs, "empty range")
        self.startUnixMs = startUnixMs
        self.endUnixMs = endUnixMs
    }

    /// The latest time a range may reach: the end of the year 9999 (calendars stop making sense
    /// beyond).
    public static let latestUnixMs: Int64 = 253_402_300_799_999

    /// The range `message` describes, or INVALID_ARGUMENT naming `field` (`range.start_unix_ms`...).
    public static func validated(_ message: Stats.TimeRange?, field: String = "range") throws -> QueryRange {
        guard let message else { throw RPCError.invalidArgument([FieldViolation(field: field, description: "is required")]) }
        var violations: [FieldViolation] = []
        if message.startUnixMs <= 0 {
            violations.append(FieldViolation(field: "\(field).start_unix_ms", description: "is required (Unix milliseconds)"))
        }
        if message.startUnixMs > latestUnixMs || message.endUnixMs > latestUnixMs {
            violations.append(FieldViolation(field: field, description: "must end before the year 10000"))
        }
        if message.endUnixMs <= 0 {
            violations.append(FieldViolation(field: "\(field).end_unix_ms", description: "is required (Unix milliseconds)"))
        } else if message.endUnixMs <= message.startUnixMs {
            violations.append(
                FieldViolation(field: "\(field).end_unix_ms", description: "must be after \(field).start_unix_ms"))
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        return QueryRange(startUnixMs: message.startUnixMs, endUnixMs: message.endUnixMs)
    }

    /// The equal range that ends where this one starts.
    public var previous: QueryRange {
        QueryRange(startUnixMs: startUnixMs - (endUnixMs - startUnixMs), endUnixMs: startUnixMs)
    }

    /// Length in milliseconds.
    public var durationMs: Int64 { endUnixMs - startUnixMs }

    /// As a message.
    public var message: Stats.TimeRange {
        var range = Stats.TimeRange()
        range.startUnixMs = startUnixMs
        range.endUnixMs = endUnixMs
        return range
    }

    /// The whole UTC hours inside the range (answered by rollups) and the partial hours at its
    /// edges (answered by raw events). `hours` is nil when no whole hour fits.
    var split: (hours: QueryRange?, edges: [QueryRange]) {
        let first = TimeMath.hourCeiling(startUnixMs)
        let last = TimeMath.hourFloor(endUnixMs)
        guard first < last else { return (nil, [self]) }
        var edges: [QueryRange] = []
        if startUnixMs < first { edges.append(QueryRange(startUnixMs: startUnixMs, endUnixMs: first)) }
        if last < endUnixMs { edges.append(QueryRange(startUnixMs: last, endUnixMs: endUnixMs)) }
        return (QueryRange(startUnixMs: first, endUnixMs: last), edges)
    }
}
