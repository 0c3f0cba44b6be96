import BackofficeAPI

/// Turns proto events into `StatsEvent`s, or says why one is rejected
/// (`"<field>: <problem>"`, e.g. `"amount_minor: must not be negative"`).
public enum EventValidation {
    /// How far in the future an event may claim to have happened (clock skew).
    public static let maxFutureSkewMs: Int64 = 5 * 60 * 1000
    /// Longest event id, visitor, session, order and content id and name, in UTF-8 bytes.
    public static let maxIDLength = 128
    /// Longest path, in UTF-8 bytes.
    public static let maxPathLength = 2048
    /// Most items on one sale.
    public static let maxItems = 1000

    /// The stored form of `event`, or the reason it is rejected.
    public static func validate(_ event: Stats.Event, nowUnixMs: Int64) -> Result<StatsEvent, EventRejection> {
        func reject(_ field: String, _ problem: String) -> Result<StatsEvent, EventRejection> {
            .failure(EventRejection(reason: "\(field): \(problem)"))
        }
        if event.eventId.isEmpty { return reject("event_id", "is required") }
        if event.eventId.utf8.count > Self.maxIDLength {
            return reject("event_id", "must be at most \(Self.maxIDLength) bytes")
        }
        guard let kind = StatsEventKind(event.type) else {
            return reject("type", "unknown event type \(event.type.rawValue)")
        }
        if event.occurredAtUnixMs <= 0 { return reject("occurred_at_unix_ms", "is required") }
        if event.occurredAtUnixMs > nowUnixMs + Self.maxFutureSkewMs {
            return reject("occurred_at_unix_ms", "is more than 5 minutes in the future")
        }
        for (field, value) in [
            ("visitor_id", event.visitorId), ("session_id", event.sessionId), ("content_id", event.contentId),
            ("order_id", event.orderId), ("name", event.name),
        ] where value.utf8.count > Self.maxIDLength {
            return reject(field, "must be at most \(Self.maxIDLength) bytes")
        }
        if event.path.utf8.count > Self.maxPathLength {
            return reject("path", "must be at most \(Self.maxPathLength) bytes")
        }
        if event.amountMinor < 0 { return reject("amount_minor", "must not be negative") }
        let isMoney = kind == .sale || kind == .refund
        if isMoney && event.currency.isEmpty {
            return reject("currency", "is required for a \(kind.name)")
        }
        if !event.currency.isEmpty && !Self.isCurrencyCode(event.currency) {
            return reject("currency", "must be an ISO 4217 code of three capital letters")
        }
        if kind == .pageView && event.path.isEmpty && event.contentId.isEmpty {
            return reject("path", "a page view needs a path or a content id")
        }
        if kind == .custom && event.name.isEmpty { return reject("name", "is required for a custom event") }
        if !event.items.isEmpty && kind != .sale { return reject("items", "only sales have items") }
        if event.items.count > Self.maxItems { return reject("items", "at most \(Self.maxItems) items") }
        for (index, item) in event.items.enumerated() {
            if item.sku.isEmpty || item.sku.utf8.count > Self.maxIDLength {
                return reject("items[\(index)].sku", "must be 1 to \(Self.maxIDLength) bytes")
            }
            if item.quantity <= 0 { return reject("items[\(index)].quantity", "must be positive") }
            if item.amountMinor < 0 { return reject("items[\(index)].amount_minor", "must not be negative") }
        }
        var stored = StatsEvent(eventID: event.eventId, kind: kind, occurredAtUnixMs: event.occurredAtUnixMs)
        stored.visitorID = event.visitorId
        stored.sessionID = event.sessionId
        stored.path = event.path
        stored.contentID = event.contentId
        stored.amountMinor = event.amountMinor
        stored.currency = event.currency
        stored.orderID = event.orderId
        stored.name = event.name
        stored.items = event.items.map { StatsSoldItem(sku: $0.sku, quantity: $0.quantity, amountMinor: $0.amountMinor) }
        return .success(stored)
    }

    /// Three ASCII capital letters.
    static func isCurrencyCode(_ text: String) -> Bool {
        text.utf8.count == 3 && text.utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }
}

/// Why an event was rejected.
public struct EventRejection: Error, Sendable, Equatable {
    /// `"<field>: <problem>"`.
    public let reason: String
}
