/// One result row: the values of a query's columns, read with typed, throwing getters by column
/// name or by index.
///
/// Rows are plain values (Sendable), so they can be returned from `Database.read`. Getters
/// throw `RowError.columnNotFound` / `.columnIndexOutOfRange` for a missing column and
/// `RowError.typeMismatch` when the stored type does not convert (see `SQLValueConvertible`);
/// ask for an `Optional` type to accept NULL. Names match exactly first, then ignoring ASCII case
/// (as SQL does); with duplicate names the leftmost column wins.
public struct Row: Sendable, Equatable, CustomStringConvertible {
    let layout: RowLayout
    /// The values in column order.
    public let values: [SQLValue]

    init(layout: RowLayout, values: [SQLValue]) {
        self.layout = layout
        self.values = values
    }

    /// The column names in order, as SQLite reports them (the `AS` alias when there is one).
    public var columnNames: [String] { layout.names }

    /// The number of columns.
    public var count: Int { values.count }

    /// The raw value at `index` (0-based).
    public func value(at index: Int) throws -> SQLValue {
        guard values.indices.contains(index) else {
            throw RowError.columnIndexOutOfRange(index: index, columnCount: values.count)
        }
        return values[index]
    }

    /// The raw value of the column called `name`.
    public func value(named name: String) throws -> SQLValue {
        guard let index = layout.index(of: name) else {
            throw RowError.columnNotFound(name: name, available: layout.names)
        }
        return values[index]
    }

    /// True when the row has a column called `name`.
    public func hasColumn(_ name: String) -> Bool { layout.index(of: name) != nil }

    /// The value of column `name` converted to `T` (use an Optional `T` to accept NULL).
    public func get<T: SQLValueConvertible>(_ name: String, as type: T.Type = T.self) throws -> T {
        try convert(value(named: name), column: name)
    }

    /// The value at `index` converted to `T` (use an Optional `T` to accept NULL).
    public func get<T: SQLValueConvertible>(_ index: Int, as type: T.Type = T.self) throws -> T {
        let value = try value(at: index)
        return try convert(value, column: layout.names[index])
    }

    /// The INTEGER in column `name`.
    public func int64(_ name: String) throws -> Int64 { try get(name) }
    /// The INTEGER at `index`.
    public func int64(_ index: Int) throws -> Int64 { try get(index) }
    /// The INTEGER in column `name`, as `Int`.
    public func int(_ name: String) throws -> Int { try get(name) }
    /// The INTEGER at `index`, as `Int`.
    public func int(_ index: Int) throws -> Int { try get(index) }
    /// The INTEGER in column `name` as a boolean (zero is false).
    public func bool(_ name: String) throws -> Bool { try get(name) }
    /// The INTEGER at `index` as a boolean (zero is false).
    public func bool(_ index: Int) throws -> Bool { try get(index) }
    /// The REAL (or INTEGER) in column `name`.
    public func double(_ name: String) throws -> Double { try get(name) }
    /// The REAL (or INTEGER) at `index`.
    public func double(_ index: Int) throws -> Double { try get(index) }
    /// The TEXT in column `name`.
    public func string(_ name: String) throws -> String { try get(name) }
    /// The TEXT at `index`.
    public func string(_ index: Int) throws -> String { try get(index) }
    /// The BLOB in column `name`.
    public func blob(_ name: String) throws -> [UInt8] { try get(name) }
    /// The BLOB at `index`.
    public func blob(_ index: Int) throws -> [UInt8] { try get(index) }
    /// True when column `name` is NULL.
    public func isNull(_ name: String) throws -> Bool { try value(named: name).isNull }
    /// True when the value at `index` is NULL.
    public func isNull(_ index: Int) throws -> Bool { try value(at: index).isNull }

    /// `name = value` pairs, for logs and test output.
    public var description: String {
        "Row(" + zip(layout.names, values).map { "\($0)=\($1)" }.joined(separator: ", ") + ")"
    }

    /// Rows are equal when their column names and values are equal.
    public static func == (lhs: Row, rhs: Row) -> Bool {
        lhs.values == rhs.values && lhs.layout.names == rhs.layout.names
    }

    private func convert<T: SQLValueConvertible>(_ value: SQLValue, column: String) throws -> T {
        guard let converted = T(sqlValue: value) else {
            throw RowError.typeMismatch(column: column, expected: String(describing: T.self), actual: value.typeName)
        }
        return converted
    }
}

/// The column names of one statement's result, shared by all rows it produced.
final class RowLayout: Sendable {
    let names: [String]
    private let exact: [String: Int]
    private let folded: [String: Int]

    init(names: [String]) {
        self.names = names
        var exact: [String: Int] = [:]
        var folded: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            if exact[name] == nil { exact[name] = index }
            let key = RowLayout.fold(name)
            if folded[key] == nil { folded[key] = index }
        }
        self.exact = exact
        self.folded = folded
    }

    func index(of name: String) -> Int? {
        exact[name] ?? folded[RowLayout.fold(name)]
    }

    /// ASCII case folding, which is what SQLite applies to identifiers.
    private static func fold(_ name: String) -> String {
        String(decoding: name.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
