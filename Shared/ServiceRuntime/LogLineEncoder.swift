#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// Builds one JSON log line byte by byte.
struct LogLineEncoder {
    private var bytes: [UInt8] = []

    init() {
        bytes.reserveCapacity(256)
    }

    /// Opens the object: `{`.
    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
    }

    /// Closes the object and returns the line.
    mutating func finishObject() -> String {
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Returns the fields written so far as a fragment, each preceded by a comma, for splicing
    /// into later objects with `appendRaw`.
    func finishFragment() -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Appends a fragment made by `finishFragment`.
    mutating func appendRaw(_ fragment: String) {
        guard !fragment.isEmpty else { return }
        bytes.append(contentsOf: fragment.utf8)
    }

    /// Appends `"key":`, with a comma before it unless it opens the object (a fragment's first
    /// key gets one too: fragments are spliced after other fields).
    mutating func appendKey(_ key: String) {
        if bytes.last != UInt8(ascii: "{") { bytes.append(UInt8(ascii: ",")) }
        appendString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends `"key":value`, choosing the JSON type from the value's Swift type: numbers and
    /// booleans as such, `nil` as `null`, everything else as its description in a string.
    mutating func appendField(key: String, value: Any) {
        appendKey(key)
        appendValue(value)
    }

    private mutating func appendValue(_ value: Any) {
        switch value {
        case let text as String: appendString(text)
        case let text as Substring: appendString(String(text))
        case let flag as Bool: appendLiteral(flag ? "true" : "false")
        case let number as Int: appendLiteral(String(number))
        case let number as Int64: appendLiteral(String(number))
        case let number as Int32: appendLiteral(String(number))
        case let number as Int16: appendLiteral(String(number))
        case let number as Int8: appendLiteral(String(number))
        case let number as UInt: appendLiteral(String(number))
        case let number as UInt64: appendLiteral(String(number))
        case let number as UInt32: appendLiteral(String(number))
        case let number as UInt16: appendLiteral(String(number))
        case let number as UInt8: appendLiteral(String(number))
        case let number as Double: appendFloatingPoint(number)
        case let number as Float: appendFloatingPoint(Double(number))
        case let optional as any OptionalLogValue:
            if let wrapped = optional.wrappedLogValue { appendValue(wrapped) } else { appendLiteral("null") }
        default: appendString(String(describing: value))
        }
    }

    private mutating func appendFloatingPoint(_ number: Double) {
        if number.isFinite { appendLiteral(String(number)) } else { appendString(String(number)) }
    }

    private mutating func appendLiteral(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends a JSON string: quotes, backslashes and control characters escaped, everything else
    /// (including non-ASCII) copied as UTF-8.
    mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20, 0x7F:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `"2024-05-01T12:34:56.789Z"`: UTC, milliseconds, truncated (after rounding to the
    /// microsecond, which absorbs the floating-point noise of `Date`).
    mutating func appendTimestamp(_ date: Date) {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let totalMilliseconds = microseconds >= 0 ? microseconds / 1000 : (microseconds - 999) / 1000
        let (quotient, remainder) = totalMilliseconds.quotientAndRemainder(dividingBy: 1000)
        let milliseconds = Int(remainder >= 0 ? remainder : remainder + 1000)
        var seconds = time_t(remainder >= 0 ? quotient : quotient - 1)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        bytes.append(UInt8(ascii: "\""))
        appendDigits(Int(parts.tm_year) + 1900, count: 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mon) + 1, count: 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mday), count: 2)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(Int(parts.tm_hour), count: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_min), count: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_sec), count: 2)
        bytes.append(UInt8(ascii: "."))
        appendDigits(milliseconds, count: 3)
        bytes.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
    }

    /// Appends a non-negative number zero-padded to `count` digits.
    private mutating func appendDigits(_ value: Int, count: Int) {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: count)
        var rest = value
        for index in stride(from: count - 1, through: 0, by: -1) {
            digits[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        bytes.append(contentsOf: digits)
    }
}

/// Lets the encoder see through optionals boxed as `Any`: `nil` becomes `null`.
protocol OptionalLogValue {
    /// The wrapped value, or `nil`.
    var wrappedLogValue: Any? { get }
}

extension Optional: OptionalLogValue {
    var wrappedLogValue: Any? {
        switch self {
        case .some(let value): value
        case .none: nil
        }
    }
}
