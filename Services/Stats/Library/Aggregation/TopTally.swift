/// What a top list ranks; the numbers are stored in `stats_hourly_top.kind`.
public enum TopListKind: Int64, Sendable, CaseIterable {
    /// Page views by path.
    case paths = 1
    /// Page views by content id.
    case content = 2
    /// Quantities sold by SKU.
    case products = 3
}

/// One ranked key: a path, content id, or SKU in one currency.
public struct TopKey: Hashable, Sendable {
    public var kind: TopListKind
    public var key: String
    /// The currency of a product's amounts; empty for paths and content.
    public var currency: String
}

/// Page views, or quantity and amount sold.
public struct TopCount: Sendable, Equatable {
    public var count: Int64 = 0
    public var amountMinor: Int64 = 0
}

/// Counts for top lists, mergeable like `Tally`.
public struct TopTally: Sendable, Equatable {
    public var counts: [TopKey: TopCount] = [:]

    /// Nothing yet.
    public init() {}

    /// Counts what `event` adds to the top lists: its path and content for a page view, its
    /// items for a sale.
    public mutating func add(_ event: StatsEvent) {
        switch event.kind {
        case .pageView:
            if !event.path.isEmpty { add(TopKey(kind: .paths, key: event.path, currency: ""), count: 1, amount: 0) }
            if !event.contentID.isEmpty {
                add(TopKey(kind: .content, key: event.contentID, currency: ""), count: 1, amount: 0)
            }
        case .sale:
            for item in event.items {
                add(
                    TopKey(kind: .products, key: item.sku, currency: event.currency), count: item.quantity,
                    amount: item.amountMinor)
            }
        default: break
        }
    }

    /// Adds `count` and `amount` to `key`.
    public mutating func add(_ key: TopKey, count: Int64, amount: Int64) {
        counts[key, default: TopCount()].count += count
        counts[key, default: TopCount()].amountMinor += amount
    }

    /// The `limit` highest counts of `kind`: highest first, ties by key then currency.
    public func ranked(_ kind: TopListKind, limit: Int) -> [(key: TopKey, count: TopCount)] {
        counts.filter { $0.key.kind == kind }
            .sorted { lhs, rhs in
                if lhs.value.count != rhs.value.count { return lhs.value.count > rhs.value.count }
                if lhs.key.key != rhs.key.key { return lhs.key.key < rhs.key.key }
                return lhs.key.currency < rhs.key.currency
            }
            .prefix(limit).map { (key: $0.key, count: $0.value) }
    }
}
