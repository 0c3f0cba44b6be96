/// RFC 4180 CSV lines.
public enum CSV {
    /// One line (without its line break) of `fields`, each quoted when it holds a comma, a
    /// quote, a line break, or leading or trailing spaces; quotes inside are doubled.
    public static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",")
    }

    /// `field` quoted when it needs to be.
    public static func quote(_ field: String) -> String {
        let needsQuotes =
            field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || field.first == " " || field.last == " "
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number as CSV shows it: whole numbers without a fraction.
    public static func number(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 9e15 { return String(Int64(value)) }
        return String(value)
    }
}
