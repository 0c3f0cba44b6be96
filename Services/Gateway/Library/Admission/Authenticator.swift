import BackofficeAPI
import RPC
import Synchronization

/// Turns a credential into the caller's principal: from the cache when a recent answer is there,
/// else by asking the security service (`Authentication.Authenticate`).
public final class Authenticator: Sendable {
    /// Asks the security service; throws its `RPCError` (UNAUTHENTICATED for a bad credential).
    public typealias Lookup = @Sendable (String) async throws -> Security.AuthenticateResponse

    private let lookup: Lookup
    private let inFlight = InFlightLookups()
    /// Recent answers.
    public let cache: CredentialCache
    private let clock: GatewayClock

    /// An authenticator asking `lookup` and remembering answers in `cache`.
    public init(cache: CredentialCache, clock: GatewayClock = .system, lookup: @escaping Lookup) {
        self.cache = cache
        self.clock = clock
        self.lookup = lookup
    }

    /// An authenticator calling the security service through `channel` (which signs as the
    /// gateway's own service principal).
    public convenience init(client: Security.AuthenticationClient, cache: CredentialCache, clock: GatewayClock = .system) {
        self.init(cache: cache, clock: clock) { credential in
            var request = Security.AuthenticateRequest()
            request.credential = credential
            return try await client.authenticate(request, options: CallOptions(timeout: .seconds(2)))
        }
    }

    /// The caller `credential` authenticates.
    /// - Throws: UNAUTHENTICATED when the security service refuses the credential or the principal
    ///   it returns has already expired; UNAVAILABLE when the security service cannot be reached.
    public func caller(for credential: String) async throws(RPCError) -> Caller {
        if let cached = cache.caller(for: credential) { return cached }
        do {
            // Calls arriving together with the same credential share one lookup and one caller
            // (one principal object, one set of signatures, one allowance look-up).
            return try await inFlight.run(credential) { [self] credential in try await authenticate(credential) }
        } catch {
            throw RPCError(converting: error)
        }
    }

    /// Asks the security service about `credential` and caches the caller it names.
    private func authenticate(_ credential: String) async throws(RPCError) -> Caller {
        let response: Security.AuthenticateResponse
        do {
            response = try await lookup(credential)
        } catch {
            let rpcError = RPCError(converting: error)
            switch rpcError.code {
            case .unauthenticated, .permissionDenied, .invalidArgument, .notFound:
                throw RPCError(.unauthenticated, "the credential is not valid (unknown, expired or revoked)")
            default:
                throw RPCError(.unavailable, "cannot check credentials: the security service failed (\(rpcError.code.name))")
            }
        }
        guard let principal = response.principal, !principal.subjectId.isEmpty else {
            throw RPCError(.unauthenticated, "the credential is not valid (unknown, expired or revoked)")
        }
        let now = clock.unixMillis()
        if principal.expiresAtUnixMs > 0 && principal.expiresAtUnixMs <= now {
            throw RPCError(.unauthenticated, "the credential is not valid (unknown, expired or revoked)")
        }
        var cacheFor = response.cacheForMs
        if principal.expiresAtUnixMs > 0 { cacheFor = min(cacheFor, principal.expiresAtUnixMs - now) }
        let caller = Caller(principal)
        cache.store(caller, for: credential, cacheForMillis: cacheFor)
        return caller
    }
}

/// Lookups under way, by credential, so that concurrent calls with one credential (after its
/// cache entry expired) cost the security service one call, not one each.
final class InFlightLookups: Sendable {
    private let tasks = Mutex<[String: Task<Caller, any Error>]>([:])

    /// The caller the lookup for `credential` under way finds, or a new lookup's.
    func run(_ credential: String, _ lookup: @escaping @Sendable (String) async throws -> Caller) async throws -> Caller {
        let task = tasks.withLock { tasks in
            if let running = tasks[credential] { return running }
            // Detached: the lookup is shared, so it must not inherit one caller's deadline.
            let task = Task.detached { try await lookup(credential) }
            tasks[credential] = task
            return task
        }
        defer { tasks.withLock { if $0[credential] == task { $0.removeValue(forKey: credential) } } }
        return try await task.value
    }

    /// Lookups under way.
    var count: Int { tasks.withLock { $0.count } }
}
