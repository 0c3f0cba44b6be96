import BackofficeAPI
import RPC

/// Serves `backoffice.stats.Ingest`: batches of events, unary or client-streaming, over a
/// `StatsStore`. Needs `stats.ingest`.
public struct IngestProvider: Stats.IngestHandler {
    /// Most rejections an IngestStream summary lists.
    public static let maxListedRejections = 100

    /// Where events go.
    public let store: StatsStore

    /// A provider over `store`.
    public init(store: StatsStore) {
        self.store = store
    }

    /// One batch, one transaction; one result per event, in order.
    public func ingestBatch(
        _ request: Stats.IngestBatchRequest, context: ServerContext
    ) async throws -> Stats.IngestBatchResponse {
        try CallerCheck.require(.statsIngest, context)
        let outcomes = try await store.ingest(request.events)
        var response = Stats.IngestBatchResponse()
        response.results.reserveCapacity(outcomes.count)
        var counts = OutcomeCounts()
        for (event, outcome) in zip(request.events, outcomes) {
            counts.count(outcome)
            response.results.append(Self.result(for: event, outcome))
        }
        response.accepted = Int32(clamping: counts.accepted)
        response.duplicates = Int32(clamping: counts.duplicates)
        response.rejected = Int32(clamping: counts.rejected)
        return response
    }

    /// Any number of batches, each its own transaction; one summary at the end. A batch over the
    /// size limit ends the call with INVALID_ARGUMENT (batches before it stay stored).
    public func ingestStream(
        _ requests: RequestStream<Stats.IngestBatchRequest>, context: ServerContext
    ) async throws -> Stats.IngestStreamResponse {
        try CallerCheck.require(.statsIngest, context)
        var response = Stats.IngestStreamResponse()
        var counts = OutcomeCounts()
        for try await request in requests {
            let outcomes = try await store.ingest(request.events)
            for (event, outcome) in zip(request.events, outcomes) {
                counts.count(outcome)
                if case .rejected = outcome, response.rejections.count < Self.maxListedRejections {
                    response.rejections.append(Self.result(for: event, outcome))
                }
            }
        }
        response.accepted = counts.accepted
        response.duplicates = counts.duplicates
        response.rejected = counts.rejected
        return response
    }

    /// How many events had each outcome.
    struct OutcomeCounts {
        var accepted: Int64 = 0
        var duplicates: Int64 = 0
        var rejected: Int64 = 0

        mutating func count(_ outcome: IngestOutcome) {
            switch outcome {
            case .accepted: accepted += 1
            case .duplicate: duplicates += 1
            case .rejected: rejected += 1
            }
        }
    }

    /// The result message of one event.
    static func result(for event: Stats.Event, _ outcome: IngestOutcome) -> Stats.EventResult {
        var result = Stats.EventResult()
        result.eventId = event.eventId
        switch outcome {
        case .accepted: result.outcome = .accepted
        case .duplicate: result.outcome = .duplicate
        case .rejected(let reason):
            result.outcome = .rejected
            result.reason = reason
        }
        return result
    }
}
