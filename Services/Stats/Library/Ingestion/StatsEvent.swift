import BackofficeAPI
import Foundation

/// The kinds of events the service counts, with the numbers stored in `stats_events.type`
/// (the same as the proto's `EventType`).
public enum StatsEventKind: Int64, Sendable, CaseIterable {
    case visit = 1
    case pageView = 2
    case sale = 3
    case refund = 4
    case signup = 5
    case custom = 6

    /// The kind of a proto event type; nil for unspecified or unknown numbers.
    public init?(_ type: Stats.EventType) {
        self.init(rawValue: Int64(type.rawValue))
    }

    /// The name used in CSV exports, e.g. `page_view`.
    public var name: String {
        switch self {
        case .visit: "visit"
        case .pageView: "page_view"
        case .sale: "sale"
        case .refund: "refund"
        case .signup: "signup"
        case .custom: "custom"
        }
    }
}

/// One product line of a sale.
public struct StatsSoldItem: Sendable, Equatable, Codable {
    /// The product's SKU.
    public var sku: String
    /// Units sold, at least 1.
    public var quantity: Int64
    /// The line's amount in the sale's currency, minor units.
    public var amountMinor: Int64

    /// A line of `quantity` × `sku` for `amountMinor`.
    public init(sku: String, quantity: Int64, amountMinor: Int64) {
        self.sku = sku
        self.quantity = quantity
        self.amountMinor = amountMinor
    }
}

/// A validated event, as stored.
public struct StatsEvent: Sendable, Equatable {
    public var eventID: String
    public var kind: StatsEventKind
    public var occurredAtUnixMs: Int64
    public var visitorID: String = ""
    public var sessionID: String = ""
    public var path: String = ""
    public var contentID: String = ""
    public var amountMinor: Int64 = 0
    public var currency: String = ""
    public var orderID: String = ""
    public var name: String = ""
    public var items: [StatsSoldItem] = []

    /// An event of `kind` at `occurredAtUnixMs`; set the other fields as the kind needs.
    public init(eventID: String, kind: StatsEventKind, occurredAtUnixMs: Int64) {
        self.eventID = eventID
        self.kind = kind
        self.occurredAtUnixMs = occurredAtUnixMs
    }

    /// The UTC hour the event falls in (the rollup it lands in), as Unix milliseconds.
    public var hourStartUnixMs: Int64 { TimeMath.hourFloor(occurredAtUnixMs) }

    /// The items as stored in `stats_events.items`: a JSON array of `StatsSoldItem`, empty text
    /// for none. Written by hand: JSONEncoder costs more than the rest of an event's ingestion.
    var encodedItems: String {
        guard !items.isEmpty else { return "" }
        var json = "["
        for (index, item) in items.enumerated() {
            if index > 0 { json += "," }
            json += "{\"sku\":\(Self.jsonString(item.sku)),\"quantity\":\(item.quantity),\"amountMinor\":\(item.amountMinor)}"
        }
        return json + "]"
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var literal = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": literal += "\\\""
            case "\\": literal += "\\\\"
            case "\n": literal += "\\n"
            case "\r": literal += "\\r"
            case "\t": literal += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                literal += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: literal.unicodeScalars.append(scalar)
            }
        }
        return literal + "\""
    }

    /// Items from their stored form.
    static func decodeItems(_ text: String) -> [StatsSoldItem] {
        guard !text.isEmpty else { return [] }
        return (try? JSONDecoder().decode([StatsSoldItem].self, from: Data(text.utf8))) ?? []
    }
}
