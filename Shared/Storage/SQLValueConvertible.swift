/// A Swift type that converts to and from `SQLValue`; the typed `Row` getters and bindings use it.
///
/// Conversions are strict, so a wrong column type is reported rather than silently coerced:
/// integers only read from INTEGER, text only from TEXT, bytes only from BLOB. The one widening
/// allowed is INTEGER to `Double`, because SQLite itself stores integral REAL values compactly
/// in some expressions. `Optional` of a convertible type reads NULL as `nil`; a non-optional type
/// rejects NULL.
public protocol SQLValueConvertible: Sendable {
    /// The value to bind for this Swift value.
    var sqlValue: SQLValue { get }
    /// Converts a stored value, or returns nil when its type (or range) does not fit.
    init?(sqlValue: SQLValue)
}

extension SQLValue: SQLValueConvertible {
    /// The value itself.
    public var sqlValue: SQLValue { self }
    /// Accepts any value, NULL included.
    public init?(sqlValue: SQLValue) { self = sqlValue }
}

extension Int64: SQLValueConvertible {
    /// `.integer(self)`.
    public var sqlValue: SQLValue { .integer(self) }
    /// Reads an INTEGER.
    public init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue else { return nil }
        self = value
    }
}

extension Int: SQLValueConvertible {
    /// `.integer(Int64(self))`.
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    /// Reads an INTEGER that fits in `Int`.
    public init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue, let narrowed = Int(exactly: value) else { return nil }
        self = narrowed
    }
}

extension Int32: SQLValueConvertible {
    /// `.integer(Int64(self))`.
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    /// Reads an INTEGER that fits in `Int32`.
    public init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue, let narrowed = Int32(exactly: value) else { return nil }
        self = narrowed
    }
}

extension Bool: SQLValueConvertible {
    /// `.integer(1)` or `.integer(0)`.
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    /// Reads an INTEGER: zero is false, anything else true.
    public init?(sqlValue: SQLValue) {
        guard case .integer(let value) = sqlValue else { return nil }
        self = value != 0
    }
}

extension Double: SQLValueConvertible {
    /// `.real(self)`.
    public var sqlValue: SQLValue { .real(self) }
    /// Reads a REAL, or an INTEGER widened to `Double`.
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .real(let value): self = value
        case .integer(let value): self = Double(value)
        default: return nil
        }
    }
}

extension String: SQLValueConvertible {
    /// `.text(self)`.
    public var sqlValue: SQLValue { .text(self) }
    /// Reads TEXT.
    public init?(sqlValue: SQLValue) {
        guard case .text(let value) = sqlValue else { return nil }
        self = value
    }
}

extension Array: SQLValueConvertible where Element == UInt8 {
    /// `.blob(self)`.
    public var sqlValue: SQLValue { .blob(self) }
    /// Reads a BLOB.
    public init?(sqlValue: SQLValue) {
        guard case .blob(let value) = sqlValue else { return nil }
        self = value
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    /// `.null` for nil, otherwise the wrapped value's `sqlValue`.
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
    /// Reads NULL as nil, otherwise converts with `Wrapped`'s rules.
    public init?(sqlValue: SQLValue) {
        if case .null = sqlValue {
            self = .none
        } else if let wrapped = Wrapped(sqlValue: sqlValue) {
            self = .some(wrapped)
        } else {
            return nil
        }
    }
}
