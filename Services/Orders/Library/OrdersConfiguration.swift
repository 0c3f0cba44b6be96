import Foundation

/// The business settings of the orders service (from the executable's flags).
public struct OrdersConfiguration: Sendable, Equatable {
    /// Tax and shipping.
    public var pricing: PricingRules
    /// Whether customers may request returns at all.
    public var returnsEnabled: Bool
    /// Days after delivery during which a return may be requested.
    public var returnWindowDays: Int

    /// A configuration with every value given; the defaults are 20 % tax, 4.99 shipping, free from
    /// 50.00, returns within 30 days.
    public init(
        pricing: PricingRules = PricingRules(taxRateBasisPoints: 2000, shippingMinor: 499, freeShippingFromMinor: 5000),
        returnsEnabled: Bool = true, returnWindowDays: Int = 30
    ) {
        self.pricing = pricing
        self.returnsEnabled = returnsEnabled
        self.returnWindowDays = returnWindowDays
    }

    /// The return window in milliseconds.
    public var returnWindowMilliseconds: Int64 { Int64(returnWindowDays) * 86_400_000 }
}

/// The current UTC time in Unix milliseconds; stores take another clock in tests.
public typealias Clock = @Sendable () -> Int64

/// The system clock.
public let systemClock: Clock = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
