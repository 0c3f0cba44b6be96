import BackofficeAPI
import RPC

/// Serves `backoffice.audit.Audit` from an `AuditLog`: converts messages to the log's types and
/// back. Errors are `RPCError`s: INVALID_ARGUMENT with field violations for bad requests,
/// DATA_LOSS for unreadable entries; storage failures reach callers as INTERNAL.
///
/// Callers are not authenticated here yet: the gateway will sign the calls it forwards.
public struct AuditProvider: Audit.AuditHandler {
    /// The log the calls read and append to.
    public let log: AuditLog

    /// A provider over `log`.
    public init(log: AuditLog) {
        self.log = log
    }

    /// Appends `request.record` (required); field violations are named `record.<field>`.
    public func append(_ request: Audit.AppendRequest, context: ServerContext) async throws -> Audit.AppendResponse {
        guard let record = request.record else {
            throw RPCError.invalidArgument([FieldViolation(field: "record", description: "is required")])
        }
        return Self.response(for: try await log.append(Self.record(from: record)))
    }

    /// Appends `request.records` all or nothing; violations are named `records[<index>].<field>`.
    public func appendBatch(
        _ request: Audit.AppendBatchRequest, context: ServerContext
    ) async throws -> Audit.AppendBatchResponse {
        let entries = try await log.append(contentsOf: request.records.map(Self.record(from:)))
        var response = Audit.AppendBatchResponse()
        response.appended = entries.map(Self.response(for:))
        return response
    }

    /// One page of entries; empty filters and bounds match everything, page size 0 means 50.
    public func query(_ request: Audit.QueryRequest, context: ServerContext) async throws -> Audit.QueryResponse {
        func filter(_ value: String) -> String? { value.isEmpty ? nil : value }
        let query = AuditQuery(
            actor: filter(request.actor), method: filter(request.method), target: filter(request.target),
            outcome: filter(request.outcome), fromUnixMs: request.fromUnixMs == 0 ? nil : request.fromUnixMs,
            toUnixMs: request.toUnixMs == 0 ? nil : request.toUnixMs,
            pageSize: request.pageSize == 0 ? AuditQuery.defaultPageSize : Int(clamping: request.pageSize),
            pageToken: filter(request.pageToken))
        let page = try await log.query(query)
        var response = Audit.QueryResponse()
        response.entries = page.entries.map(Self.message(for:))
        response.nextPageToken = page.nextPageToken ?? ""
        return response
    }

    /// Walks the chain and reports its first broken link.
    public func verify(_ request: Audit.VerifyRequest, context: ServerContext) async throws -> Audit.VerifyResponse {
        let result = try await log.verify()
        var response = Audit.VerifyResponse()
        response.ok = result.isIntact
        response.recordsChecked = result.recordsChecked
        response.brokenSequence = result.brokenSequence ?? 0
        response.detail = result.detail
        switch result.problem {
        case nil: response.problem = .unspecified
        case .hashMismatch: response.problem = .hashMismatch
        case .previousHashMismatch: response.problem = .previousHashMismatch
        case .sequenceGap: response.problem = .gap
        }
        return response
    }

    // MARK: - Conversions

    static func record(from message: Audit.Record) -> AuditRecord {
        AuditRecord(
            actor: message.actor, actorKind: message.actorKind, method: message.method, target: message.target,
            outcome: message.outcome, clientAddress: message.clientAddress, requestID: message.requestId,
            occurredAtUnixMs: message.occurredAtUnixMs, details: message.details)
    }

    static func response(for entry: AuditEntry) -> Audit.AppendResponse {
        var response = Audit.AppendResponse()
        response.sequence = entry.sequence
        response.id = entry.id
        response.hash = AuditChainHash.hex(entry.hash)
        return response
    }

    static func message(for entry: AuditEntry) -> Audit.Entry {
        var record = Audit.Record()
        record.actor = entry.record.actor
        record.actorKind = entry.record.actorKind
        record.method = entry.record.method
        record.target = entry.record.target
        record.outcome = entry.record.outcome
        record.clientAddress = entry.record.clientAddress
        record.requestId = entry.record.requestID
        record.occurredAtUnixMs = entry.record.occurredAtUnixMs
        record.details = entry.record.details
        var message = Audit.Entry()
        message.sequence = entry.sequence
        message.id = entry.id
        message.record = record
        message.previousHash = AuditChainHash.hex(entry.previousHash)
        message.hash = AuditChainHash.hex(entry.hash)
        return message
    }
}
