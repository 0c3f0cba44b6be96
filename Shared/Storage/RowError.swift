/// A failure reading a cell out of a `Row`: the column does not exist or holds another type.
public enum RowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No column has this name; `available` lists the row's columns.
    case columnNotFound(name: String, available: [String])
    /// The index is outside `0..<columnCount`.
    case columnIndexOutOfRange(index: Int, columnCount: Int)
    /// The column holds a value of another type (`actual` is the SQLite storage class, for example
    /// NULL or TEXT) than the requested Swift type `expected`.
    case typeMismatch(column: String, expected: String, actual: String)

    /// A readable one-line description.
    public var description: String {
        switch self {
        case .columnNotFound(let name, let available):
            "no column named '\(name)' in the row (columns: \(available.joined(separator: ", ")))"
        case .columnIndexOutOfRange(let index, let count):
            "column index \(index) is out of range: the row has \(count) columns"
        case .typeMismatch(let column, let expected, let actual):
            "column '\(column)' holds \(actual), which cannot be read as \(expected)"
        }
    }
}
