import BackofficeAPI
import RPC

/// A figure a series shows, read from a `Tally`.
public struct SeriesFigure: Sendable, Equatable {
    /// Which figure.
    public let figure: Stats.Figure
    /// The currency of money figures; for sales and refunds, counts only that currency when set.
    public let currency: String

    /// The figure of a request, or INVALID_ARGUMENT for an unknown figure, a money figure
    /// without its currency, or a malformed currency.
    public init(_ figure: Stats.Figure, currency: String) throws {
        switch figure {
        case .unspecified, .unrecognized:
            throw RPCError.invalidArgument([FieldViolation(field: "figure", description: "is required (a known FIGURE_*)")])
        default: break
        }
        if !currency.isEmpty && !EventValidation.isCurrencyCode(currency) {
            throw RPCError.invalidArgument([
                FieldViolation(field: "currency", description: "must be an ISO 4217 code of three capital letters")
            ])
        }
        if currency.isEmpty && [.revenueGross, .revenueNet, .averageBasket].contains(figure) {
            throw RPCError.invalidArgument([
                FieldViolation(field: "currency", description: "is required for \(figure.protoName ?? "a money figure")")
            ])
        }
        self.figure = figure
        self.currency = currency
    }

    /// What to load to compute it.
    var needs: TallyNeeds {
        TallyNeeds(
            visitors: figure == .uniqueVisitors,
            money: !currency.isEmpty || [.revenueGross, .revenueNet, .averageBasket].contains(figure))
    }

    /// The figure's value in `tally`.
    public func value(of tally: Tally) -> Double {
        let money = tally.money[currency] ?? MoneyTally()
        switch figure {
        case .visits: return Double(tally.visits)
        case .uniqueVisitors: return Double(tally.uniqueVisitors)
        case .pageViews: return Double(tally.pageViews)
        case .sales: return Double(currency.isEmpty ? tally.sales : money.sales)
        case .revenueGross: return Double(money.grossMinor)
        case .revenueNet: return Double(money.netMinor)
        case .refunds: return Double(currency.isEmpty ? tally.refunds : money.refunds)
        case .averageBasket: return Double(money.averageBasketMinor)
        case .conversionRate: return tally.conversionRate
        case .signups: return Double(tally.signups)
        case .unspecified, .unrecognized: return 0
        }
    }

    /// The figure's CSV column name, e.g. `revenue_gross`.
    public var columnName: String {
        (figure.protoName ?? "value").replacingOccurrences(of: "FIGURE_", with: "").lowercased()
    }
}
