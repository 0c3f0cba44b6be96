import BackofficeAPI
import Synchronization

/// Recent answers of the security service, by credential: bounded in size, each kept no longer
/// than the service allowed and never longer than `maximumAge` (one second), so a logout or a
/// revocation takes effect at the gateway within that time.
public final class CredentialCache: Sendable {
    private struct Entry {
        let caller: Caller
        let expiresAtMillis: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let forgotten = Atomic<UInt64>(0)
    /// Most credentials remembered at once; when full, expired entries go, then arbitrary ones.
    public let capacity: Int
    /// The longest an answer is kept, whatever the service allowed.
    public let maximumAgeMillis: Int64
    /// The clock its entries' expiries are read on.
    let clock: GatewayClock

    /// A cache of at most `capacity` entries, each for at most `maximumAgeMillis`.
    public init(capacity: Int = 10_000, maximumAgeMillis: Int64 = 1000, clock: GatewayClock = .system) {
        self.capacity = max(1, capacity)
        self.maximumAgeMillis = maximumAgeMillis
        self.clock = clock
    }

    /// The cached caller for `credential`, if its answer is still fresh.
    public func caller(for credential: String) -> Caller? {
        entry(for: credential)?.caller
    }

    /// The cached caller for `credential` and when its entry expires (on `clock`'s monotonic
    /// milliseconds), if its answer is still fresh.
    func entry(for credential: String) -> (caller: Caller, expiresAtMillis: Int64)? {
        let now = clock.monotonicMillis()
        return entries.withLock { entries in
            guard let entry = entries[credential] else { return nil }
            guard entry.expiresAtMillis > now else {
                entries.removeValue(forKey: credential)
                return nil
            }
            return (entry.caller, entry.expiresAtMillis)
        }
    }

    /// Changes whenever a credential is forgotten: copies of entries kept elsewhere
    /// (`RecentCallers`) are good only while it has not changed since they were taken.
    public var generation: UInt64 { forgotten.load(ordering: .acquiring) }

    /// Remembers `caller` for `credential` for `cacheForMillis` (capped); 0 or less stores nothing.
    public func store(_ caller: Caller, for credential: String, cacheForMillis: Int64) {
        // A clock that lags by up to its resolution would keep the entry that much too long.
        let age = min(cacheForMillis, maximumAgeMillis) - clock.resolutionMillis
        guard age > 0 else { return }
        let now = clock.monotonicMillis()
        entries.withLock { entries in
            if entries.count >= capacity && entries[credential] == nil {
                entries = entries.filter { $0.value.expiresAtMillis > now }
                while entries.count >= capacity, let victim = entries.keys.first { entries.removeValue(forKey: victim) }
            }
            entries[credential] = Entry(caller: caller, expiresAtMillis: now + age)
        }
    }

    /// Forgets `credential` at once (its session just ended through this gateway).
    public func forget(_ credential: String) {
        entries.withLock { _ = $0.removeValue(forKey: credential) }
        forgotten.add(1, ordering: .releasing)
    }

    /// How many credentials are remembered (expired ones included until touched).
    public var count: Int { entries.withLock { $0.count } }
}
