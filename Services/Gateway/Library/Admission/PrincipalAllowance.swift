import Synchronization

/// One principal's limits in one place: the token bucket of its call rate and its count of calls
/// in flight, behind one lock. Every `Caller` of the principal holds the same one (from
/// `PrincipalAllowances`), so admitting a call takes one lock and no look-up by name.
public final class PrincipalAllowance: Sendable {
    private struct State {
        var bucket: TokenBucket
        var inFlight = 0
    }

    /// Why a call was not let in.
    enum Refusal: Equatable {
        /// Over the rate: a token is there in this many milliseconds.
        case rate(retryAfterMillis: Int64)
        /// At the limit of calls in flight.
        case concurrency
    }

    private let state: Mutex<State>
    /// Calls per second (0 or less: no rate limit), the bucket's size, and the most calls in
    /// flight (0 or less: no limit).
    private let rate: Double
    private let burst: Double
    private let maxInFlight: Int

    init(limits: GatewayLimits, now: Int64) {
        rate = limits.principalRate
        burst = max(1, limits.principalBurst)
        maxInFlight = limits.maxCallsPerPrincipal
        state = Mutex(State(bucket: TokenBucket(full: burst, at: now)))
    }

    /// Takes a token (when rates are limited), then counts the call in flight (when that is
    /// limited). A call refused for the rate counts nothing; one refused for concurrency has spent
    /// its token (the rate counts attempts). A call let in ends with `leave`.
    func enter(now: Int64) -> Refusal? {
        state.withLock { state in
            if rate > 0, let wait = state.bucket.take(now: now, rate: rate, burst: burst) {
                return .rate(retryAfterMillis: wait)
            }
            if maxInFlight > 0 && state.inFlight >= maxInFlight { return .concurrency }
            state.inFlight += 1
            return nil
        }
    }

    /// Ends a call `enter` let in.
    func leave() {
        state.withLock { $0.inFlight = max(0, $0.inFlight - 1) }
    }

    /// Calls in flight now.
    var callsInFlight: Int { state.withLock { $0.inFlight } }

    /// Whether forgetting this allowance loses nothing: no call in flight and a full bucket.
    func isIdle(now: Int64) -> Bool {
        state.withLock { state in
            state.inFlight == 0 && (rate <= 0 || state.bucket.isFull(now: now, rate: rate, burst: burst))
        }
    }
}

/// The allowance of every principal seen lately, by its limit key. The table holds at most
/// `capacity` allowances that no caller holds; allowances still held by a cached `Caller` stay,
/// so that all of a principal's callers share one.
public final class PrincipalAllowances: Sendable {
    private let table = Mutex<[String: PrincipalAllowance]>([:])
    private let limits: GatewayLimits
    private let clock: GatewayClock
    /// Most allowances kept once callers let go of them.
    public let capacity: Int

    /// A table applying `limits`.
    public init(limits: GatewayLimits, capacity: Int = 100_000, clock: GatewayClock = .system) {
        self.limits = limits
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    /// The allowance of `key`, made when there is none.
    func allowance(for key: String) -> PrincipalAllowance {
        let now = clock.monotonicMillis()
        return table.withLock { table in
            if let allowance = table[key] { return allowance }
            if table.count >= capacity { Self.evict(&table, now: now) }
            let allowance = PrincipalAllowance(limits: limits, now: now)
            table[key] = allowance
            return allowance
        }
    }

    /// Allowances in the table.
    public var trackedKeys: Int { table.withLock { $0.count } }

    /// Drops the allowances no caller holds that are idle, or, if none is, half of those no
    /// caller holds.
    private static func evict(_ table: inout [String: PrincipalAllowance], now: Int64) {
        var unheld: [(key: String, allowance: PrincipalAllowance)] = []
        for key in Array(table.keys) {
            // Taken out of the table, an allowance nobody else holds is referenced only here.
            guard var allowance = table.removeValue(forKey: key) else { continue }
            if isKnownUniquelyReferenced(&allowance) {
                unheld.append((key, allowance))
            } else {
                table[key] = allowance
            }
        }
        let busy = unheld.filter { !$0.allowance.isIdle(now: now) }
        // The idle ones go; if none was idle, half of the busy ones go too.
        for (key, allowance) in busy.count == unheld.count ? busy.suffix(busy.count / 2) : busy[...] { table[key] = allowance }
    }
}
