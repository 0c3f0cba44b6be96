/// One SQLite value, with the five storage classes SQLite has.
///
/// Used for bindings (`[SQLValue]` by position, `[String: SQLValue]` by name) and for the cells
/// of a `Row`. Literals work directly: `[1, "alice", nil, 2.5]`.
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer (SQLite INTEGER).
    case integer(Int64)
    /// An IEEE 754 double (SQLite REAL).
    case real(Double)
    /// UTF-8 text (SQLite TEXT); may contain any Unicode, including NUL.
    case text(String)
    /// Raw bytes (SQLite BLOB); an empty array is an empty blob, not NULL.
    case blob([UInt8])

    /// The SQLite storage class name: NULL, INTEGER, REAL, TEXT or BLOB (used in error messages).
    public var typeName: String {
        switch self {
        case .null: "NULL"
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text: "TEXT"
        case .blob: "BLOB"
        }
    }

    /// True for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short rendering for logs and test output (blobs are shown by size only).
    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): "'\(value)'"
        case .blob(let bytes): "<\(bytes.count) bytes>"
        }
    }
}

extension SQLValue: ExpressibleByNilLiteral {
    /// `nil` is SQL NULL.
    public init(nilLiteral: ()) { self = .null }
}

extension SQLValue: ExpressibleByIntegerLiteral {
    /// An integer literal is an INTEGER.
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SQLValue: ExpressibleByFloatLiteral {
    /// A floating-point literal is a REAL.
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SQLValue: ExpressibleByStringLiteral {
    /// A string literal is TEXT.
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SQLValue: ExpressibleByBooleanLiteral {
    /// A boolean literal is the INTEGER 1 or 0 (SQLite has no boolean type).
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}
