import BackofficeAPI
import RPC

/// Collects every invalid field of a request, then throws them together as INVALID_ARGUMENT.
struct RequestValidator {
    /// The most characters a free-text field (name, reason, carrier...) may have.
    static let maxTextLength = 500
    /// The most characters an identifier or key may have.
    static let maxKeyLength = 128

    private(set) var violations: [FieldViolation] = []

    /// Records `description` for `field` unless `condition` holds.
    mutating func require(_ condition: Bool, _ field: String, _ description: String) {
        if !condition { violations.append(FieldViolation(field: field, description: description)) }
    }

    /// A text of at most `maxLength` characters, non-empty when `required`.
    mutating func text(_ value: String, _ field: String, required: Bool = true, maxLength: Int = maxTextLength) {
        if required && value.isEmpty {
            violations.append(FieldViolation(field: field, description: "is required"))
        } else if value.unicodeScalars.count > maxLength {
            violations.append(FieldViolation(field: field, description: "must be at most \(maxLength) characters"))
        }
    }

    /// A SKU: 1 to 64 letters, digits, '-', '_' or '.'.
    mutating func sku(_ value: String, _ field: String) {
        require(Self.isValidSKU(value), field, "must be 1 to 64 letters, digits, '-', '_' or '.'")
    }

    /// An ISO 4217 code: three upper-case ASCII letters.
    mutating func currency(_ value: String, _ field: String) {
        require(
            value.utf8.count == 3 && value.utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") },
            field, "must be an ISO 4217 code such as EUR")
    }

    /// A quantity of units: 1 to 1,000,000.
    mutating func quantity(_ value: Int64, _ field: String) {
        require(value > 0, field, "must be positive")
        require(value <= 1_000_000, field, "must be at most 1000000")
    }

    /// Order lines: at least one, at most 100, valid SKUs and quantities, each SKU once.
    mutating func lines(_ lines: [Orders.OrderLineRequest], _ field: String) {
        require(!lines.isEmpty, field, "at least one line is required")
        require(lines.count <= 100, field, "at most 100 lines")
        var seen: Set<String> = []
        for (index, line) in lines.enumerated() {
            sku(line.sku, "\(field)[\(index)].sku")
            quantity(line.quantity, "\(field)[\(index)].quantity")
            require(seen.insert(line.sku).inserted, "\(field)[\(index)].sku", "appears on two lines")
        }
    }

    /// A page size: 0 (the default) to `max`.
    mutating func pageSize(_ value: Int32, max: Int = 500) {
        require(value >= 0 && value <= max, "page_size", "must be 0 to \(max)")
    }

    /// Throws INVALID_ARGUMENT when any field was invalid.
    func check() throws {
        if !violations.isEmpty { throw RPCError.invalidArgument(violations) }
    }

    /// Whether `value` is a well-formed SKU.
    static func isValidSKU(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 64
            && value.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
            }
    }
}
