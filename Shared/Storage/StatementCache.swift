/// A connection's prepared statements keyed by SQL text, evicting the least recently used one
/// when full. Used only on the owning connection's thread.
final class StatementCache {
    private struct Entry {
        let statement: PreparedStatement
        var lastUse: UInt64
    }

    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { entries.count }

    /// The cached statement for `sql`, or nil (and marks it as recently used).
    func statement(for sql: String) -> PreparedStatement? {
        guard var entry = entries[sql] else { return nil }
        clock &+= 1
        entry.lastUse = clock
        entries[sql] = entry
        return entry.statement
    }

    /// Keeps `statement`, finalizing the least recently used one if the cache is full.
    /// Returns false (keeping nothing) when the cache is disabled.
    @discardableResult
    func insert(_ statement: PreparedStatement) -> Bool {
        guard capacity > 0 else { return false }
        if entries.count >= capacity, let victim = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries.removeValue(forKey: victim.key)?.statement.finalize()
        }
        clock &+= 1
        entries[statement.sql] = Entry(statement: statement, lastUse: clock)
        return true
    }

    /// Finalizes every statement (before the connection closes).
    func removeAll() {
        for entry in entries.values { entry.statement.finalize() }
        entries.removeAll()
    }
}
