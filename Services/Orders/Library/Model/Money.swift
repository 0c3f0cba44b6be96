/// Integer money arithmetic in minor units (cents): overflow is an error, never a wrap.
///
/// Tax rounding: tax is computed per order line (and on shipping) as `amount × rate / 10 000`
/// with the rate in basis points (2000 = 20 %), rounded half up (half a cent becomes a cent) in
/// integer arithmetic; an order's tax is the sum of its lines' taxes and the shipping tax. So a
/// line's tax never changes when other lines are added, and refunding a whole line refunds
/// exactly the tax charged on it.
public enum Money {
    /// Basis points in one whole (100 %).
    public static let basisPointsPerWhole: Int64 = 10_000

    /// `a × b`, or `MoneyError.overflow`.
    public static func multiply(_ a: Int64, _ b: Int64) throws(MoneyError) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw .overflow }
        return product
    }

    /// `a + b`, or `MoneyError.overflow`.
    public static func add(_ a: Int64, _ b: Int64) throws(MoneyError) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw .overflow }
        return sum
    }

    /// The sum of `amounts`, or `MoneyError.overflow`.
    public static func sum(_ amounts: some Sequence<Int64>) throws(MoneyError) -> Int64 {
        var total: Int64 = 0
        for amount in amounts { total = try add(total, amount) }
        return total
    }

    /// The tax on a non-negative `amount` at `basisPoints`, rounded half up.
    public static func tax(on amount: Int64, basisPoints: Int64) throws(MoneyError) -> Int64 {
        precondition(amount >= 0 && basisPoints >= 0, "tax of a negative amount or rate")
        let scaled = try multiply(amount, basisPoints)
        return try add(scaled, basisPointsPerWhole / 2) / basisPointsPerWhole
    }

    /// The share `part / whole` of a non-negative `amount`, rounded down (so shares of a whole
    /// never add up to more than the whole).
    public static func proportion(of amount: Int64, part: Int64, whole: Int64) throws(MoneyError) -> Int64 {
        precondition(whole > 0 && part >= 0 && part <= whole && amount >= 0, "bad proportion")
        if part == whole { return amount }
        return try multiply(amount, part) / whole
    }
}

/// A money computation left the range of 64-bit minor units.
public enum MoneyError: Error, Sendable, Equatable {
    case overflow
}

/// How the service prices an order: tax rate and shipping, from the executable's settings.
public struct PricingRules: Sendable, Equatable {
    /// Tax rate in basis points (2000 = 20 %), applied to lines and shipping.
    public var taxRateBasisPoints: Int64
    /// Flat shipping charge per order, minor units of the order's currency.
    public var shippingMinor: Int64
    /// Orders whose subtotal reaches this ship for free; 0 means never free.
    public var freeShippingFromMinor: Int64

    /// Rules with every value given.
    public init(taxRateBasisPoints: Int64, shippingMinor: Int64, freeShippingFromMinor: Int64) {
        self.taxRateBasisPoints = taxRateBasisPoints
        self.shippingMinor = shippingMinor
        self.freeShippingFromMinor = freeShippingFromMinor
    }
}

/// One order line priced: quantity × unit price, and its tax.
public struct PricedLine: Sendable, Equatable {
    /// The product.
    public var sku: String
    /// The product's name when ordered.
    public var name: String
    /// Units ordered.
    public var quantity: Int64
    /// The catalogue price of one unit when ordered.
    public var unitPriceMinor: Int64
    /// `unitPriceMinor × quantity`.
    public var subtotalMinor: Int64
    /// Tax on the subtotal, rounded half up.
    public var taxMinor: Int64
}

/// An order's money: subtotal, shipping, tax and total, in one currency.
public struct OrderTotals: Sendable, Equatable {
    /// The lines' subtotals.
    public var subtotalMinor: Int64
    /// The shipping charge (0 when free).
    public var shippingMinor: Int64
    /// The lines' taxes plus the shipping tax.
    public var taxMinor: Int64
    /// Subtotal + shipping + tax.
    public var totalMinor: Int64
}

extension PricingRules {
    /// Prices a line of `quantity` units at `unitPriceMinor`.
    public func line(
        sku: String, name: String, quantity: Int64, unitPriceMinor: Int64
    ) throws(MoneyError) -> PricedLine {
        let subtotal = try Money.multiply(unitPriceMinor, quantity)
        let tax = try Money.tax(on: subtotal, basisPoints: taxRateBasisPoints)
        return PricedLine(
            sku: sku, name: name, quantity: quantity, unitPriceMinor: unitPriceMinor, subtotalMinor: subtotal,
            taxMinor: tax)
    }

    /// The totals of an order made of `lines`.
    public func totals(of lines: [PricedLine]) throws(MoneyError) -> OrderTotals {
        let subtotal = try Money.sum(lines.map(\.subtotalMinor))
        let freeShipping = freeShippingFromMinor > 0 && subtotal >= freeShippingFromMinor
        let shipping = freeShipping ? 0 : shippingMinor
        let tax = try Money.add(
            try Money.sum(lines.map(\.taxMinor)), try Money.tax(on: shipping, basisPoints: taxRateBasisPoints))
        let total = try Money.add(try Money.add(subtotal, shipping), tax)
        return OrderTotals(subtotalMinor: subtotal, shippingMinor: shipping, taxMinor: tax, totalMinor: total)
    }

    /// What refunding `quantity` of a line's units returns to the customer: that share of the
    /// line's subtotal plus tax, rounded down (a whole line refunds exactly what it cost).
    public static func refund(
        of line: (quantity: Int64, subtotalMinor: Int64, taxMinor: Int64), quantity: Int64
    ) throws(MoneyError) -> Int64 {
        try Money.proportion(
            of: try Money.add(line.subtotalMinor, line.taxMinor), part: quantity, whole: line.quantity)
    }
}
