import Synchronization

/// Token buckets by key (a principal, a client address): each key may make `ratePerSecond` calls
/// per second on average and `burst` at once. Keys not seen for a while are forgotten, and the
/// table never holds more than `capacity` keys.
public final class RateLimiter: Sendable {

    /// Calls per second each key earns.
    public let ratePerSecond: Double
    /// Calls a key may make at once after a quiet spell.
    public let burst: Double
    /// Most keys tracked at once.
    public let capacity: Int
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let clock: GatewayClock

    /// A limiter; a rate of 0 or less disables it.
    public init(ratePerSecond: Double, burst: Double, capacity: Int = 100_000, clock: GatewayClock = .system) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst)
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    /// Takes one token for `key`. Returns `nil` when the call may go, else how many milliseconds
    /// to wait before a token is there.
    public func acquire(_ key: String) -> Int64? {
        guard ratePerSecond > 0 else { return nil }
        let now = clock.monotonicMillis()
        return buckets.withLock { buckets in
            if buckets.count >= capacity && buckets[key] == nil {
                Self.evictFull(&buckets, now: now, burst: burst, rate: ratePerSecond)
            }
            // One lookup: the bucket is updated where it is stored.
            return buckets[key, default: TokenBucket(full: burst, at: now)].take(now: now, rate: ratePerSecond, burst: burst)
        }
    }

    /// Drops buckets that have refilled completely (their keys would start full anyway), or, if
    /// none has, an arbitrary half.
    private static func evictFull(_ buckets: inout [String: TokenBucket], now: Int64, burst: Double, rate: Double) {
        buckets = buckets.filter { !$0.value.isFull(now: now, rate: rate, burst: burst) }
        if buckets.count >= 2 {
            for key in buckets.keys.prefix(buckets.count / 2) { buckets.removeValue(forKey: key) }
        }
    }

    /// Keys tracked now.
    public var trackedKeys: Int { buckets.withLock { $0.count } }
}

/// Tokens that refill at a steady rate up to a burst; each call takes one.
struct TokenBucket {
    private var tokens: Double
    private var updatedAtMillis: Int64

    /// A bucket holding `burst` tokens at `now`.
    init(full burst: Double, at now: Int64) {
        tokens = burst
        updatedAtMillis = now
    }

    /// Refills for the time since the last update and takes a token: `nil`, or the milliseconds
    /// until one is there.
    mutating func take(now: Int64, rate: Double, burst: Double) -> Int64? {
        let elapsed = Double(max(0, now - updatedAtMillis)) / 1000
        tokens = min(burst, tokens + elapsed * rate)
        updatedAtMillis = now
        guard tokens >= 1 else { return max(1, Int64(((1 - tokens) / rate * 1000).rounded(.up))) }
        tokens -= 1
        return nil
    }

    /// Whether the bucket has refilled completely by `now` (a new one would hold as much).
    func isFull(now: Int64, rate: Double, burst: Double) -> Bool {
        tokens + Double(max(0, now - updatedAtMillis)) / 1000 * rate >= burst
    }
}

/// Counts calls in flight per key and refuses more than `limit` at once (the gateway's anonymous
/// callers, per client address; principals count theirs in their `PrincipalAllowance`).
public final class ConcurrencyLimiter: Sendable {
    private let inFlight = Mutex<[String: Int]>([:])
    /// Calls one key may have in flight; 0 or less disables the limit.
    public let limit: Int

    /// A limiter of `limit` calls per key.
    public init(limit: Int) { self.limit = limit }

    /// Counts a call for `key`; false (nothing counted) when the key is at its limit.
    public func enter(_ key: String) -> Bool {
        guard limit > 0 else { return true }
        return inFlight.withLock { inFlight in
            // One lookup: the count is changed where it is stored.
            Self.increment(&inFlight[key, default: 0], below: limit)
        }
    }

    /// Ends a call counted by `enter`.
    public func leave(_ key: String) {
        guard limit > 0 else { return }
        inFlight.withLock { inFlight in
            guard let index = inFlight.index(forKey: key) else { return }
            if inFlight.values[index] > 1 {
                inFlight.values[index] -= 1
            } else {
                inFlight.remove(at: index)
            }
        }
    }

    private static func increment(_ count: inout Int, below limit: Int) -> Bool {
        guard count < limit else { return false }
        count += 1
        return true
    }

    /// Calls in flight for `key`.
    public func count(_ key: String) -> Int { inFlight.withLock { $0[key, default: 0] } }
}
