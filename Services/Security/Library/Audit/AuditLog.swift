import Crypto
import Foundation
import RPC
import Storage

/// The audit trail over the security service's database: an append-only chain of entries, each
/// hashed together with the previous entry's hash (see `AuditChainHash`).
///
/// Appends run one at a time on the database's writer queue, inside one IMMEDIATE transaction
/// per call, and return only once that transaction committed: an acknowledged entry survives the
/// process being killed (WAL with `synchronous=NORMAL`, see `SynchronousMode`). Invalid records
/// are refused with INVALID_ARGUMENT naming each bad field, and nothing is written.
public final class AuditLog: Sendable {
    /// Most records in one `append(contentsOf:)` call.
    public static let maxBatchCount = 1000
    /// Entries read per transaction while verifying.
    static let verifyChunkSize = 1000

    /// The database holding the `audit_` tables (opened with `SecuritySchema.migrations`).
    public let database: Database
    private let now: @Sendable () -> Int64

    /// An audit log over `database`; `now` gives the current Unix time in milliseconds for
    /// records appended with `occurredAtUnixMs == 0`.
    public init(database: Database, now: @escaping @Sendable () -> Int64 = AuditLog.currentUnixMs) {
        self.database = database
        self.now = now
    }

    /// Opens (creating and migrating when needed) the security database at `path` with
    /// `SecuritySchema.migrations`, and returns the audit log over it.
    public static func open(path: String) async throws -> AuditLog {
        AuditLog(database: try await Database.open(path: path, migrations: SecuritySchema.migrations))
    }

    /// The system clock in Unix milliseconds.
    public static func currentUnixMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    // MARK: - Appending

    /// Appends one record and returns its entry once it is committed. Field violations are named
    /// `record.<field>`.
    public func append(_ record: AuditRecord) async throws -> AuditEntry {
        try await append([record], fieldPrefixes: ["record."])[0]
    }

    /// Appends `records` in order in one transaction, all or nothing, and returns their entries.
    /// Field violations are named `records[<index>].<field>`.
    public func append(contentsOf records: [AuditRecord]) async throws -> [AuditEntry] {
        guard records.count <= Self.maxBatchCount else {
            throw RPCError.invalidArgument([
                FieldViolation(field: "records", description: "must hold at most \(Self.maxBatchCount) records")
            ])
        }
        return try await append(records, fieldPrefixes: records.indices.map { "records[\($0)]." })
    }

    private func append(_ records: [AuditRecord], fieldPrefixes: [String]) async throws -> [AuditEntry] {
        let violations = zip(records, fieldPrefixes).flatMap { $0.violations(prefix: $1) }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        guard !records.isEmpty else { return [] }
        let timestamp = now()
        let prepared = try records.map { record -> (AuditRecord, String, String) in
            var record = record
            if record.occurredAtUnixMs == 0 { record.occurredAtUnixMs = timestamp }
            return (record, "aud_" + AuditChainHash.hex(SecureRandom.bytes(16)), try Self.encodeDetails(record.details))
        }
        return try await database.write { db in
            let head = try db.queryOne("SELECT sequence, hash FROM audit_chain_head WHERE singleton = 1")
            var sequence = try head.map { UInt64(try $0.int64("sequence")) } ?? 0
            var previousHash = try head.map { try $0.blob("hash") } ?? AuditChainHash.genesis
            var entries: [AuditEntry] = []
            for (record, id, details) in prepared {
                sequence += 1
                let hash = AuditChainHash.hash(sequence: sequence, id: id, record: record, previousHash: previousHash)
                try db.execute(
                    """
                    INSERT INTO audit_records (sequence, id, actor, actor_kind, method, target, outcome,
                        client_address, request_id, occurred_at_unix_ms, details, previous_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .integer(Int64(sequence)), .text(id), .text(record.actor), .text(record.actorKind),
                        .text(record.method), .text(record.target), .text(record.outcome), .text(record.clientAddress),
                        .text(record.requestID), .integer(record.occurredAtUnixMs), .text(details),
                        .blob(previousHash), .blob(hash),
                    ])
                entries.append(
                    AuditEntry(sequence: sequence, id: id, record: record, previousHash: previousHash, hash: hash))
                previousHash = hash
            }
            try db.execute(
                """
                INSERT INTO audit_chain_head (singleton, sequence, hash) VALUES (1, ?, ?)
                ON CONFLICT (singleton) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash
                """,
                [.integer(Int64(sequence)), .blob(previousHash)])
            return entries
        }
    }

    // MARK: - Querying

    /// One page of the entries matching `query`, newest first. Throws INVALID_ARGUMENT for a page
    /// size outside 1...500, a malformed page token or other invalid filters.
    public func query(_ query: AuditQuery) async throws -> AuditPage {
        let violations = query.violations()
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        var clauses: [String] = []
        var bindings: [SQLValue] = []
        for (column, value) in [
            ("actor", query.actor), ("method", query.method), ("target", query.target), ("outcome", query.outcome),
        ] {
            if let value {
                clauses.append("\(column) = ?")
                bindings.append(.text(value))
            }
        }
        if let from = query.fromUnixMs {
            clauses.append("occurred_at_unix_ms >= ?")
            bindings.append(.integer(from))
        }
        if let to = query.toUnixMs {
            clauses.append("occurred_at_unix_ms < ?")
            bindings.append(.integer(to))
        }
        if let token = query.pageToken, let below = AuditQuery.sequence(fromPageToken: token) {
            clauses.append("sequence < ?")
            bindings.append(.integer(Int64(clamping: below)))
        }
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        bindings.append(.integer(Int64(query.pageSize + 1)))
        let sql = "SELECT \(Self.columns) FROM audit_records \(filter) ORDER BY sequence DESC LIMIT ?"
        let rows = try await database.read { [bindings] db in try db.query(sql, bindings) }
        var entries: [AuditEntry] = []
        for row in rows.prefix(query.pageSize) {
            let (entry, detailsReadable) = try Self.entry(from: row)
            guard detailsReadable else {
                throw RPCError(.dataLoss, "audit entry \(entry.sequence) has unreadable details; run Verify")
            }
            entries.append(entry)
        }
        let next = rows.count > query.pageSize ? entries.last.map { AuditQuery.pageToken(after: $0.sequence) } : nil
        return AuditPage(entries: entries, nextPageToken: next)
    }

    // MARK: - Verifying

    /// Walks the chain from sequence 1 and reports the first broken link: an entry whose hash
    /// does not match its fields, whose previous hash is not its predecessor's hash, or a missing
    /// sequence number (also when the newest entries were deleted: the chain's head remembers
    /// the last sequence appended).
    public func verify() async throws -> AuditVerification {
        var expected: UInt64 = 1
        var previousHash = AuditChainHash.genesis
        while true {
            let rows = try await database.read { [expected] db in
                try db.query(
                    "SELECT \(Self.columns) FROM audit_records WHERE sequence >= ? ORDER BY sequence LIMIT ?",
                    [.integer(Int64(expected)), .integer(Int64(Self.verifyChunkSize))])
            }
            if rows.isEmpty { break }
            for row in rows {
                let checked = expected - 1
                let (entry, detailsReadable) = try Self.entry(from: row)
                if entry.sequence != expected {
                    return AuditVerification(
                        recordsChecked: checked, brokenSequence: expected, problem: .sequenceGap,
                        detail: "entry \(expected) is missing: the next entry is \(entry.sequence)")
                }
                if entry.previousHash != previousHash {
                    return AuditVerification(
                        recordsChecked: checked, brokenSequence: expected, problem: .previousHashMismatch,
                        detail: "entry \(expected) does not link to the hash of entry \(expected - 1)")
                }
                let recomputed = AuditChainHash.hash(
                    sequence: entry.sequence, id: entry.id, record: entry.record, previousHash: entry.previousHash)
                if !detailsReadable || recomputed != entry.hash {
                    return AuditVerification(
                        recordsChecked: checked, brokenSequence: expected, problem: .hashMismatch,
                        detail: "entry \(expected) was altered: its fields no longer match its hash")
                }
                previousHash = entry.hash
                expected += 1
            }
        }
        let headSequence = try await database.read { db in
            try db.queryOne("SELECT sequence FROM audit_chain_head WHERE singleton = 1")?.int64("sequence") ?? 0
        }
        if UInt64(max(0, headSequence)) >= expected {
            return AuditVerification(
                recordsChecked: expected - 1, brokenSequence: expected, problem: .sequenceGap,
                detail: "entries \(expected) to \(headSequence) are missing: the chain's head is at \(headSequence)")
        }
        return AuditVerification(recordsChecked: expected - 1)
    }

    // MARK: - Rows

    private static let columns =
        "sequence, id, actor, actor_kind, method, target, outcome, client_address, request_id, occurred_at_unix_ms, details, previous_hash, hash"

    /// The entry a row holds, and whether its details column could be decoded (when not, the
    /// entry carries empty details).
    private static func entry(from row: Row) throws -> (AuditEntry, Bool) {
        let details = decodeDetails(try row.string("details"))
        let record = AuditRecord(
            actor: try row.string("actor"), actorKind: try row.string("actor_kind"), method: try row.string("method"),
            target: try row.string("target"), outcome: try row.string("outcome"),
            clientAddress: try row.string("client_address"), requestID: try row.string("request_id"),
            occurredAtUnixMs: try row.int64("occurred_at_unix_ms"), details: details ?? [:])
        let entry = AuditEntry(
            sequence: UInt64(max(0, try row.int64("sequence"))), id: try row.string("id"), record: record,
            previousHash: try row.blob("previous_hash"), hash: try row.blob("hash"))
        return (entry, details != nil)
    }

    /// `details` as stored: a JSON object with sorted keys.
    private static func encodeDetails(_ details: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(details), as: UTF8.self)
    }

    private static func decodeDetails(_ text: String) -> [String: String]? {
        try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }
}
