import Storage

/// An INSERT of many rows per statement: the rows go in by statements of 64, 32, ... 1 rows, so a
/// batch needs a handful of cached prepared statements instead of one per row.
struct MultiRowStatement: Sendable {
    /// Rows per statement, largest first: every count is a sum of these.
    static let chunkSizes = [64, 32, 16, 8, 4, 2, 1]

    /// `columns` values per row.
    let columns: Int
    private let sqlByRows: [Int: String]

    /// `head` (`INSERT INTO t (a, b) VALUES`), then one `(?, ?)` group per row, then `tail`
    /// (`ON CONFLICT ...`, `RETURNING ...`, or empty).
    init(_ head: String, columns: Int, tail: String = "") {
        self.columns = columns
        let group = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        sqlByRows = Dictionary(
            uniqueKeysWithValues: Self.chunkSizes.map { rows in
                (rows, head + " " + Array(repeating: group, count: rows).joined(separator: ", ") + " " + tail)
            })
    }

    /// Runs the statements for `rowCount` rows whose values `values(index, &bindings)` appends,
    /// and returns the rows they return (for `RETURNING`).
    @discardableResult
    func run(
        rowCount: Int, in db: DatabaseConnection, values: (Int, inout [SQLValue]) -> Void
    ) throws -> [Row] {
        var returned: [Row] = []
        var start = 0
        for size in Self.chunkSizes {
            while rowCount - start >= size {
                var bindings: [SQLValue] = []
                bindings.reserveCapacity(size * columns)
                for index in start..<start + size { values(index, &bindings) }
                returned += try db.query(sqlByRows[size] ?? "", bindings)
                start += size
            }
        }
        return returned
    }
}
