/// How a top-level transaction takes its locks (`BEGIN DEFERRED` / `IMMEDIATE` / `EXCLUSIVE`).
public enum TransactionKind: Sendable {
    /// Takes no lock until the first read or write. A deferred transaction that reads and later
    /// writes may fail with SQLITE_BUSY when another connection wrote in between; use it for
    /// read-only work.
    case deferred
    /// Takes the write lock at BEGIN (waiting up to the busy timeout), so the body cannot fail
    /// half-way with SQLITE_BUSY. Use it for any transaction that writes.
    case immediate
    /// Like `.immediate` in WAL mode.
    case exclusive

    /// The SQL that starts the transaction.
    var beginStatement: String {
        switch self {
        case .deferred: "BEGIN DEFERRED"
        case .immediate: "BEGIN IMMEDIATE"
        case .exclusive: "BEGIN EXCLUSIVE"
        }
    }
}
