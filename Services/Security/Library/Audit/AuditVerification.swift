/// What `AuditLog.verify` found: an intact chain, or its first broken link.
public struct AuditVerification: Sendable, Equatable {
    /// Why a link is broken.
    public enum Problem: Sendable, Equatable {
        /// The stored hash is not the hash of the entry's fields: the entry was altered.
        case hashMismatch
        /// The entry's previous hash is not the previous entry's hash.
        case previousHashMismatch
        /// The sequence skips a number: the entry `brokenSequence` is missing.
        case sequenceGap
    }

    /// Entries whose links were checked before stopping (all of them when intact).
    public var recordsChecked: UInt64
    /// The first broken link's sequence, or nil when the chain is intact.
    public var brokenSequence: UInt64?
    /// Why that link is broken.
    public var problem: Problem?
    /// A sentence explaining the problem; empty when intact.
    public var detail: String

    /// True when every entry checked out.
    public var isIntact: Bool { problem == nil }

    /// Creates a result.
    public init(recordsChecked: UInt64, brokenSequence: UInt64? = nil, problem: Problem? = nil, detail: String = "") {
        self.recordsChecked = recordsChecked
        self.brokenSequence = brokenSequence
        self.problem = problem
        self.detail = detail
    }
}
