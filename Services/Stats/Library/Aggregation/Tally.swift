/// The money of one currency: sales and refunds, counted and summed.
public struct MoneyTally: Sendable, Equatable {
    public var sales: Int64 = 0
    public var grossMinor: Int64 = 0
    public var refunds: Int64 = 0
    public var refundedMinor: Int64 = 0

    /// Nothing yet.
    public init() {}

    /// A tally of these sums.
    public init(sales: Int64, grossMinor: Int64, refunds: Int64, refundedMinor: Int64) {
        self.sales = sales
        self.grossMinor = grossMinor
        self.refunds = refunds
        self.refundedMinor = refundedMinor
    }

    /// Revenue after refunds.
    public var netMinor: Int64 { grossMinor - refundedMinor }

    /// Gross revenue per sale, rounded down; 0 without sales.
    public var averageBasketMinor: Int64 { sales == 0 ? 0 : grossMinor / sales }

    /// Adds `other`'s sums.
    public mutating func merge(_ other: MoneyTally) {
        sales += other.sales
        grossMinor += other.grossMinor
        refunds += other.refunds
        refundedMinor += other.refundedMinor
    }
}

/// The figures of some stretch of time, mergeable: an hour's rollup, some raw events, or the sum
/// of many of them. Unique visitors come from a `HyperLogLog` sketch.
public struct Tally: Sendable, Equatable {
    public var visits: Int64 = 0
    public var pageViews: Int64 = 0
    public var sales: Int64 = 0
    public var refunds: Int64 = 0
    public var signups: Int64 = 0
    public var customEvents: Int64 = 0
    /// Money by ISO currency code.
    public var money: [String: MoneyTally] = [:]
    /// The visitors seen, or nil when none were (or none were asked for).
    public var visitors: HyperLogLog?

    /// Nothing yet.
    public init() {}

    /// Distinct visitors (estimated).
    public var uniqueVisitors: Int64 { visitors?.estimate ?? 0 }

    /// Sales per visit; 0 without visits.
    public var conversionRate: Double { visits == 0 ? 0 : Double(sales) / Double(visits) }

    /// Counts one event; its visitor only when `countingVisitors`.
    public mutating func add(_ event: StatsEvent, countingVisitors: Bool = true) {
        switch event.kind {
        case .visit: visits += 1
        case .pageView: pageViews += 1
        case .sale:
            sales += 1
            money[event.currency, default: MoneyTally()].merge(
                MoneyTally(sales: 1, grossMinor: event.amountMinor, refunds: 0, refundedMinor: 0))
        case .refund:
            refunds += 1
            money[event.currency, default: MoneyTally()].merge(
                MoneyTally(sales: 0, grossMinor: 0, refunds: 1, refundedMinor: event.amountMinor))
        case .signup: signups += 1
        case .custom: customEvents += 1
        }
        if countingVisitors && !event.visitorID.isEmpty {
            if visitors == nil { visitors = HyperLogLog() }
            visitors?.insert(event.visitorID)
        }
    }

    /// Adds everything `other` counted.
    public mutating func merge(_ other: Tally) {
        visits += other.visits
        pageViews += other.pageViews
        sales += other.sales
        refunds += other.refunds
        signups += other.signups
        customEvents += other.customEvents
        for (currency, tally) in other.money { money[currency, default: MoneyTally()].merge(tally) }
        if let theirs = other.visitors { mergeVisitors(theirs) }
    }

    /// Adds a sketch of visitors.
    public mutating func mergeVisitors(_ sketch: HyperLogLog) {
        if visitors == nil { visitors = sketch } else { visitors?.merge(sketch) }
    }
}
