/// A record as the audit log stores it: its place in the chain, its id and its hashes.
public struct AuditEntry: Sendable, Equatable {
    /// 1, 2, 3, ... in append order.
    public var sequence: UInt64
    /// Opaque, unique id (`aud_` and 32 hex digits).
    public var id: String
    /// The recorded fields; `occurredAtUnixMs` is never 0 here.
    public var record: AuditRecord
    /// The previous entry's hash (32 zero bytes for sequence 1).
    public var previousHash: [UInt8]
    /// This entry's hash: `AuditChainHash.hash(of:)`.
    public var hash: [UInt8]

    /// Creates an entry from its parts.
    public init(sequence: UInt64, id: String, record: AuditRecord, previousHash: [UInt8], hash: [UInt8]) {
        self.sequence = sequence
        self.id = id
        self.record = record
        self.previousHash = previousHash
        self.hash = hash
    }
}
