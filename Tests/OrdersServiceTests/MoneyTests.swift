import BackofficeAPI
import OrdersService
import Testing

/// Money arithmetic: tax rounding half up per line, totals, shipping, refunds of lines, overflow.
@Suite(.timeLimit(.minutes(1)))
struct MoneyTests {
    @Test(arguments: [
        (1000 as Int64, 2000 as Int64, 200 as Int64),  // exact
        (1, 2000, 0),  // 0.2 rounds down
        (3, 2000, 1),  // 0.6 rounds up
        (25, 2000, 5),  // exact 5
        (5, 1000, 1),  // exactly half a cent rounds up
        (15, 1000, 2),  // 1.5 -> 2
        (14, 1000, 1),  // 1.4 -> 1
        (0, 2000, 0),
        (999, 0, 0),
    ])
    func taxRoundsHalfUp(amount: Int64, basisPoints: Int64, expected: Int64) throws {
        #expect(try Money.tax(on: amount, basisPoints: basisPoints) == expected)
    }

    @Test func totalsAddLineTaxesAndShippingTax() throws {
        let rules = PricingRules(taxRateBasisPoints: 2000, shippingMinor: 499, freeShippingFromMinor: 0)
        let lines = [
            try rules.line(sku: "A", name: "a", quantity: 3, unitPriceMinor: 333),  // 999, tax 199.8 -> 200
            try rules.line(sku: "B", name: "b", quantity: 1, unitPriceMinor: 1),  // 1, tax 0.2 -> 0
        ]
        #expect(lines[0].subtotalMinor == 999)
        #expect(lines[0].taxMinor == 200)
        #expect(lines[1].taxMinor == 0)
        let totals = try rules.totals(of: lines)
        #expect(totals.subtotalMinor == 1000)
        #expect(totals.shippingMinor == 499)
        #expect(totals.taxMinor == 200 + 0 + 100)  // shipping tax 99.8 -> 100
        #expect(totals.totalMinor == 1000 + 499 + 300)
    }

    @Test func shippingIsFreeFromTheThreshold() throws {
        let rules = PricingRules(taxRateBasisPoints: 0, shippingMinor: 499, freeShippingFromMinor: 5000)
        let below = try rules.totals(of: [try rules.line(sku: "A", name: "a", quantity: 1, unitPriceMinor: 4999)])
        let at = try rules.totals(of: [try rules.line(sku: "A", name: "a", quantity: 1, unitPriceMinor: 5000)])
        #expect(below.shippingMinor == 499)
        #expect(below.totalMinor == 5498)
        #expect(at.shippingMinor == 0)
        #expect(at.totalMinor == 5000)
    }

    @Test func refundingLinesNeverExceedsTheLine() throws {
        let line = (quantity: Int64(3), subtotalMinor: Int64(999), taxMinor: Int64(200))
        let one = try PricingRules.refund(of: line, quantity: 1)
        let two = try PricingRules.refund(of: line, quantity: 2)
        let all = try PricingRules.refund(of: line, quantity: 3)
        #expect(one == 399)  // 1199 / 3 = 399.67, rounded down
        #expect(two == 799)
        #expect(all == 1199)  // a whole line refunds exactly what it cost
        #expect(one + one + one <= all)
    }

    @Test func overflowIsAnErrorNotAWrap() throws {
        #expect(throws: MoneyError.overflow) { try Money.multiply(Int64.max / 2, 3) }
        #expect(throws: MoneyError.overflow) { try Money.add(Int64.max, 1) }
        let rules = PricingRules(taxRateBasisPoints: 2000, shippingMinor: 0, freeShippingFromMinor: 0)
        #expect(throws: MoneyError.overflow) {
            try rules.line(sku: "A", name: "a", quantity: 1_000_000, unitPriceMinor: Int64.max / 1000)
        }
        #expect(try Money.sum([1, 2, 3]) == 6)
    }
}
