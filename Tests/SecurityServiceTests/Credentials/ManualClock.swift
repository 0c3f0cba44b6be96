import Foundation

@testable import SecurityService

/// A clock tests move by hand, read through the `@Sendable () -> Date` the tables take.
final class ManualClock: Sendable {
    private let current: ConditionLock<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = ConditionLock(start)
    }

    var date: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The closure to inject.
    var now: @Sendable () -> Date { { [current] in current.withLock { $0 } } }
}
