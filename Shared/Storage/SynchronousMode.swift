/// SQLite's `PRAGMA synchronous` setting: how often SQLite waits for data to reach the disk.
///
/// Durability in WAL mode (which every connection here uses):
/// - `.normal` (the default): the WAL is synced at checkpoints, not at every commit. A commit
///   that has been acknowledged survives the process being killed (kill -9, crash), because the
///   data is in the WAL file in the OS page cache; the last transactions before a power loss or
///   kernel crash may be lost (rolled back), but the database stays consistent.
/// - `.full`: the WAL is synced at every commit, so acknowledged commits also survive power loss,
///   at the cost of one fsync per transaction.
/// - `.extra`: like `.full`, and also syncs the directory after deleting a journal (only matters
///   for rollback journals).
/// - `.off`: no syncs at all; an OS crash or power loss can corrupt the database. Tests only.
public enum SynchronousMode: Int32, Sendable, CaseIterable {
    /// No syncs (unsafe on power loss; for throwaway data).
    case off = 0
    /// Sync at checkpoints: survives process crashes, may lose the last commits on power loss.
    case normal = 1
    /// Sync the WAL at every commit: survives power loss.
    case full = 2
    /// `.full` plus directory syncs for rollback journals.
    case extra = 3

    /// The keyword for `PRAGMA synchronous = ...`.
    var pragmaKeyword: String {
        switch self {
        case .off: "OFF"
        case .normal: "NORMAL"
        case .full: "FULL"
        case .extra: "EXTRA"
        }
    }
}
