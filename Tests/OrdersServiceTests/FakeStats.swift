import BackofficeAPI
import RPC
import ServiceRuntime
import TestSupport

/// A stand-in for the stats service's ingestion: fails its first `failures` calls with
/// UNAVAILABLE, then accepts each new event id once and answers duplicates, recording how often
/// each id was accepted and who called.
final class FakeStats: Stats.IngestHandler, Sendable {
    struct Record: Sendable {
        var calls = 0
        var accepted: [String: Int] = [:]
        var events: [String: Stats.Event] = [:]
        var duplicates = 0
        var callers: Set<String> = []
    }

    let failures: Int
    let record = Locked(Record())

    init(failingFirst failures: Int) {
        self.failures = failures
    }

    func ingestBatch(_ request: Stats.IngestBatchRequest, context: ServerContext) async throws -> Stats.IngestBatchResponse {
        let call = record.withLock { record -> Int in
            record.calls += 1
            record.callers.insert(context.principal?.subjectId ?? "unsigned")
            return record.calls
        }
        if call <= failures { throw RPCError(.unavailable, "stats is warming up (call \(call))") }
        var response = Stats.IngestBatchResponse()
        record.withLock { record in
            for event in request.events {
                var result = Stats.EventResult()
                result.eventId = event.eventId
                if record.accepted[event.eventId] == nil {
                    record.accepted[event.eventId] = 1
                    record.events[event.eventId] = event
                    result.outcome = .accepted
                    response.accepted += 1
                } else {
                    record.duplicates += 1
                    result.outcome = .duplicate
                    response.duplicates += 1
                }
                response.results.append(result)
            }
        }
        return response
    }

    func ingestStream(
        _ requests: RequestStream<Stats.IngestBatchRequest>, context: ServerContext
    ) async throws -> Stats.IngestStreamResponse {
        throw RPCError(.unimplemented, "the fake takes batches only")
    }
}
