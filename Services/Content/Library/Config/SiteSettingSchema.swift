import BackofficeAPI
import Foundation

/// One key the site configuration knows: its type, default, whether the front office may read it,
/// and its extra rule (a range, a length, a format).
public struct SiteSettingDefinition: Sendable {
    /// The dotted key, e.g. `theme.primary_colour`.
    public let key: String
    /// The value's type.
    public let type: Content.SettingType
    /// The value while nobody set one.
    public let defaultValue: Content.SettingValue.Value
    /// Whether `PublicContent/GetPublicSiteConfig` shows it.
    public let isPublic: Bool
    /// One line for operators.
    public let description: String
    /// What is wrong with a value of the right type, or nil when it is acceptable.
    let rule: @Sendable (Content.SettingValue.Value) -> String?

    init(
        _ key: String, _ defaultValue: Content.SettingValue.Value, isPublic: Bool, _ description: String,
        rule: @escaping @Sendable (Content.SettingValue.Value) -> String? = { _ in nil }
    ) {
        self.key = key
        self.type = SiteSettingSchema.type(of: defaultValue)
        self.defaultValue = defaultValue
        self.isPublic = isPublic
        self.description = description
        self.rule = rule
    }
}

/// The known keys of the site configuration and the rules every value obeys. Keys outside the
/// schema are custom keys: their names start with `custom.`, and they take their type and
/// visibility from the change that first sets them.
public enum SiteSettingSchema {
    /// The prefix every custom key starts with.
    public static let customPrefix = "custom."
    /// Longest text value (string, URL, JSON) unless a key says otherwise.
    static let maxTextLength = 10_000

    /// The known keys, sorted by key.
    public static let known: [SiteSettingDefinition] = [
        SiteSettingDefinition("analytics.config", .jsonValue("{}"), isPublic: false, "Analytics settings (JSON)."),
        SiteSettingDefinition(
            "content.items_per_page", .integerValue(10), isPublic: true, "Items per page in front-office lists.",
            rule: integerRange(1...100)),
        SiteSettingDefinition("features.comments", .booleanValue(false), isPublic: true, "Readers may comment."),
        SiteSettingDefinition("features.newsletter", .booleanValue(false), isPublic: true, "Newsletter sign-up is shown."),
        SiteSettingDefinition("features.search", .booleanValue(true), isPublic: true, "Front-office search is on."),
        SiteSettingDefinition("maintenance.enabled", .booleanValue(false), isPublic: true, "The site shows its maintenance page."),
        SiteSettingDefinition(
            "maintenance.message", .stringValue(""), isPublic: true, "Text of the maintenance page.", rule: maxLength(500)),
        SiteSettingDefinition(
            "site.default_locale", .stringValue("en"), isPublic: true, "Locale of the front office by default.",
            rule: { value in
                guard case .stringValue(let text) = value, !ItemValidation.isValidLocale(text) else { return nil }
                return ItemValidation.localeRule
            }),
        SiteSettingDefinition(
            "site.name", .stringValue("Our site"), isPublic: true, "The site's name.",
            rule: { value in
                guard case .stringValue(let text) = value else { return nil }
                return (1...100).contains(text.count) ? nil : "must be 1 to 100 characters"
            }),
        SiteSettingDefinition("site.tagline", .stringValue(""), isPublic: true, "Shown under the name.", rule: maxLength(200)),
        SiteSettingDefinition("site.url", .urlValue("https://example.com"), isPublic: true, "The front office's address."),
        SiteSettingDefinition("smtp.host", .stringValue(""), isPublic: false, "Mail relay for site e-mails.", rule: maxLength(255)),
        SiteSettingDefinition("theme.accent_colour", .colourValue("#ff6f00"), isPublic: true, "Accent colour."),
        SiteSettingDefinition("theme.background_colour", .colourValue("#ffffff"), isPublic: true, "Background colour."),
        SiteSettingDefinition("theme.primary_colour", .colourValue("#1a73e8"), isPublic: true, "Primary colour."),
    ]

    static let byKey = Dictionary(uniqueKeysWithValues: known.map { ($0.key, $0) })

    /// The type a value carries.
    public static func type(of value: Content.SettingValue.Value) -> Content.SettingType {
        switch value {
        case .stringValue: .string
        case .integerValue: .integer
        case .booleanValue: .boolean
        case .colourValue: .colour
        case .urlValue: .url
        case .jsonValue: .json
        }
    }

    /// What is wrong with `value` as a value of its own type (format of colours, URLs, JSON;
    /// lengths), or nil.
    static func formatProblem(_ value: Content.SettingValue.Value) -> String? {
        switch value {
        case .stringValue(let text):
            return text.count <= maxTextLength ? nil : "must be at most \(maxTextLength) characters"
        case .integerValue, .booleanValue:
            return nil
        case .colourValue(let text):
            let digits = text.dropFirst()
            let ok = text.first == "#" && digits.count == 6 && digits.allSatisfy { $0.isASCII && $0.isHexDigit }
            return ok ? nil : "must be a colour #rrggbb"
        case .urlValue(let text):
            guard text.count <= maxTextLength, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
            else { return "must be an absolute http or https URL" }
            return nil
        case .jsonValue(let text):
            guard text.count <= maxTextLength,
                (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
            else { return "must be a JSON document" }
            return nil
        }
    }

    /// Whether `key` may name a custom setting: `custom.` then a-z, 0-9, `.`, `_`, `-`, at most 100 characters.
    static func isValidCustomKey(_ key: String) -> Bool {
        guard key.hasPrefix(customPrefix), key.count > customPrefix.count, key.count <= 100 else { return false }
        return key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0) }
    }

    /// The human name of a type, for messages: `string`, `integer`, `boolean`, `colour`, `URL`, `JSON`.
    static func name(of type: Content.SettingType) -> String {
        switch type {
        case .string: "string"
        case .integer: "integer"
        case .boolean: "boolean"
        case .colour: "colour"
        case .url: "URL"
        case .json: "JSON"
        default: "unknown"
        }
    }

    private static func integerRange(_ range: ClosedRange<Int64>) -> @Sendable (Content.SettingValue.Value) -> String? {
        { value in
            guard case .integerValue(let number) = value, !range.contains(number) else { return nil }
            return "must be between \(range.lowerBound) and \(range.upperBound)"
        }
    }

    private static func maxLength(_ limit: Int) -> @Sendable (Content.SettingValue.Value) -> String? {
        { value in
            guard case .stringValue(let text) = value, text.count > limit else { return nil }
            return "must be at most \(limit) characters"
        }
    }
}
