import RPC
/// The value of one setting, tagged with its type.
public enum SettingValue: Sendable, Hashable, CustomStringConvertible {
    /// Free text.
    case string(String)
    /// A whole number.
    case int(Int)
    /// A length of time, written `500ms`, `10s`, `5m`, `1h30m`.
    case duration(Duration)
    /// A number of bytes, written `4MiB`, `512KiB`, `1GB`, `100`.
    case byteSize(Int)
    /// On or off: `--flag` / `--no-flag` on the command line, `true`/`false` elsewhere.
    case bool(Bool)
    /// A TCP address, `host:port`.
    case address(SocketAddress)

    /// The type of the value.
    public var kind: SettingKind {
        switch self {
        case .string: .string
        case .int: .int
        case .duration: .duration
        case .byteSize: .byteSize
        case .bool: .bool
        case .address: .address
        }
    }

    /// The value written the way it would be typed: `10s`, `4MiB`, `127.0.0.1:8080`, `""` for
    /// empty text.
    public var description: String {
        switch self {
        case .string(let text): text.isEmpty ? "\"\"" : text
        case .int(let number): String(number)
        case .duration(let duration): SettingValue.format(duration: duration)
        case .byteSize(let bytes): SettingValue.format(byteSize: bytes)
        case .bool(let flag): flag ? "true" : "false"
        case .address(let address): address.description
        }
    }

    /// Parses the text form of a value of `kind`; throws a `SettingValue.Problem` saying what is
    /// wrong with the text.
    public static func parse(_ text: String, as kind: SettingKind) throws(Problem) -> SettingValue {
        if kind == .string { return .string(text) }
        let trimmed = text.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { throw Problem(reason: "the value is empty") }
        switch kind {
        case .string:
            return .string(text)
        case .int:
            guard let number = Int(trimmed) else {
                let digits = trimmed.first == "-" || trimmed.first == "+" ? trimmed.dropFirst() : Substring(trimmed)
                let isNumeral = !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
                let reason = isNumeral ? "out of range" : "not a whole number"
                throw Problem(reason: reason)
            }
            return .int(number)
        case .duration:
            return .duration(try parseDuration(trimmed))
        case .byteSize:
            return .byteSize(try parseByteSize(trimmed))
        case .bool:
            switch trimmed.lowercased() {
            case "true", "1", "yes", "on": return .bool(true)
            case "false", "0", "no", "off": return .bool(false)
            default: throw Problem(reason: "not a boolean")
            }
        case .address:
            switch SocketAddress.parse(trimmed) {
            case .success(let address): return .address(address)
            case .failure(let problem): throw Problem(reason: problem.reason)
            }
        }
    }

    /// What is wrong with the text of a value.
    public struct Problem: Error, Sendable, Equatable {
        /// A short explanation, e.g. `unknown unit "sec"`.
        public let reason: String

        /// A problem with its explanation.
        public init(reason: String) { self.reason = reason }
    }

    // MARK: Durations

    /// Nanoseconds per duration unit, longest unit names first so that `ms` wins over `m`.
    private static let durationUnits: [(name: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Parses a sequence of `<number><unit>` terms such as `1h30m` or `1.5s`; a bare `0` is zero.
    static func parseDuration(_ text: String) throws(Problem) -> Duration {
        if text == "0" { return .zero }
        var total: Int64 = 0
        for term in try numberTerms(text) {
            guard !term.unit.isEmpty else {
                throw Problem(reason: "missing unit after \(term.whole)\(term.fraction.isEmpty ? "" : "." + term.fraction)")
            }
            guard let unit = durationUnits.first(where: { $0.name == term.unit }) else {
                throw Problem(reason: "unknown unit \"\(term.unit)\"")
            }
            guard let nanoseconds = term.scaled(by: unit.nanoseconds) else { throw Problem(reason: "too large") }
            let (sum, overflow) = total.addingReportingOverflow(nanoseconds)
            guard !overflow else { throw Problem(reason: "too large") }
            total = sum
        }
        return .nanoseconds(total)
    }

    /// Writes a duration with the largest unit that represents it exactly: `5m`, `500ms`, `1500us`.
    static func format(duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow else { return "\(seconds)s" }
        let total = nanoseconds.partialValue + attoseconds / 1_000_000_000
        if total == 0 { return "0s" }
        let units: [(String, Int64)] = [
            ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000),
        ]
        for (name, size) in units where total % size == 0 { return "\(total / size)\(name)" }
        return "\(total)ns"
    }

    // MARK: Byte sizes

    /// Bytes per size unit, compared case-insensitively.
    private static let byteUnits: [(name: String, bytes: Int64)] = [
        ("", 1), ("b", 1),
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
    ]

    /// Parses `<number>[unit]`, e.g. `4MiB`, `512 KiB`, `1.5GB`, `100`; fractions of a byte are
    /// dropped.
    static func parseByteSize(_ text: String) throws(Problem) -> Int {
        let terms = try numberTerms(text.filter { $0 != " " })
        guard terms.count == 1, let term = terms.first else { throw Problem(reason: "expected one number and one unit") }
        guard let unit = byteUnits.first(where: { $0.name == term.unit.lowercased() }) else {
            throw Problem(reason: "unknown unit \"\(term.unit)\"")
        }
        guard let bytes = term.scaled(by: unit.bytes), let result = Int(exactly: bytes) else {
            throw Problem(reason: "too large")
        }
        return result
    }

    /// Writes a byte count with the largest binary unit that represents it exactly: `4MiB`, `100B`.
    static func format(byteSize bytes: Int) -> String {
        if bytes == 0 { return "0B" }
        for (name, size) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes % size == 0 {
            return "\(bytes / size)\(name)"
        }
        return "\(bytes)B"
    }

    // MARK: Number terms

    /// One `<digits>[.<digits>]<unit>` piece of a duration or size.
    struct NumberTerm {
        var whole: String
        var fraction: String
        var unit: String

        /// The term's value times `unit` units, truncated to an integer; `nil` on overflow.
        func scaled(by unit: Int64) -> Int64? {
            var value: Int64 = 0
            for digit in whole.utf8 {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
                guard !o1, !o2 else { return nil }
                value = next
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            // The fraction, exactly: (fraction digits × unit) / 10^digits, at most 18 digits.
            var fractionDigits: Int64 = 0
            var scale: Int64 = 1
            for digit in fraction.utf8.prefix(18) {
                fractionDigits = fractionDigits * 10 + Int64(digit - UInt8(ascii: "0"))
                scale *= 10
            }
            let wide = fractionDigits.multipliedFullWidth(by: unit)
            let fractionValue = scale.dividingFullWidth((wide.high, wide.low)).quotient
            let (sum, overflow2) = product.addingReportingOverflow(fractionValue)
            return overflow2 ? nil : sum
        }
    }

    /// Splits `1h30m` into number terms; throws when the text is not a sequence of them.
    static func numberTerms(_ text: String) throws(Problem) -> [NumberTerm] {
        var terms: [NumberTerm] = []
        var characters = Substring(text)
        while !characters.isEmpty {
            let whole = characters.prefix { $0.isASCII && $0.isNumber }
            characters = characters.dropFirst(whole.count)
            var fraction: Substring = ""
            if characters.first == "." {
                characters = characters.dropFirst()
                fraction = characters.prefix { $0.isASCII && $0.isNumber }
                characters = characters.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else {
                if let first = characters.first, first == "-" {
                    throw Problem(reason: "negative values are not allowed")
                }
                throw Problem(reason: "expected a number at \"\(characters)\"")
            }
            let unit = characters.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            characters = characters.dropFirst(unit.count)
            terms.append(NumberTerm(whole: String(whole), fraction: String(fraction), unit: String(unit)))
        }
        return terms
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs and line breaks.
    fileprivate func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
