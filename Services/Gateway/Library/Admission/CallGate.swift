import AccessControl
import BackofficeAPI
import Crypto
import RPC
import ServiceRuntime

/// A call the gateway has let through: who makes it, under which rule, where it goes, with which
/// metadata (signed principal, client address, request id) and deadline. A value: a relayed call
/// keeps it inside its one `GatewayService.RelayedForward`, a call served by a task on its stack.
public struct AdmittedCall: Sendable {
    public let caller: Caller
    public let rule: MethodRule
    public let group: InstanceGroup
    /// What the forwarded call sends.
    public let metadata: ForwardedMetadata
    /// The time the forwarded call has: the client's remaining time, or the default deadline.
    public let timeout: Duration
    let admission: Admission

    /// Who makes the call.
    public var principal: Auth.Principal { caller.principal }

    /// The client's request id, or the gateway's own.
    public var requestID: String { metadata.requestID }

    /// The options of a forwarded call made from a task.
    public var options: CallOptions { CallOptions(timeout: timeout, metadata: metadata.metadata) }

    init(
        caller: Caller, rule: MethodRule, group: InstanceGroup, metadata: ForwardedMetadata, timeout: Duration,
        admission: Admission
    ) {
        self.caller = caller
        self.rule = rule
        self.group = group
        self.metadata = metadata
        self.timeout = timeout
        self.admission = admission
    }
}

/// What an admitted call counts against until it ends.
enum Admission {
    /// Its principal's allowance.
    case principal(PrincipalAllowance)
    /// The anonymous callers of one address, by key in `CallGate.concurrency`.
    case anonymous(String)
}

/// A call whose caller is known: the checks it passed (its rule, the instances that serve it, the
/// client's host) and its caller (anonymous on public methods without credentials).
public struct IdentifiedCall: Sendable {
    public let checked: CheckedCall
    public let caller: Caller

    /// Who makes the call.
    public var principal: Auth.Principal { caller.principal }
}

/// A call that passed the checks made before its caller is known (`CallGate.check`).
public struct CheckedCall: Sendable {
    public let rule: MethodRule
    public let group: InstanceGroup
    public let address: String
}

/// Decides whether a call may go through, in this order: deadline cap, access rule, route,
/// per-address rate, credential, permission, per-principal rate and concurrency.
public final class CallGate: Sendable {
    /// The access rule of a method by full name (`AccessPolicy.entry(for:)` in production).
    public typealias PolicyLookup = @Sendable (String) -> MethodRule?

    /// The access rule of each method.
    public let policy: PolicyLookup
    /// Where each service runs.
    public let directory: ServiceDirectory
    /// Turns credentials into principals.
    public let authenticator: Authenticator
    /// Signs forwarded principals; `nil` forwards unsigned calls (development without a key).
    public let signatures: SignatureCache?
    /// Deadlines, rates, concurrency, retries.
    public let limits: GatewayLimits
    let addressLimiter: RateLimiter
    /// Each principal's rate and calls in flight.
    let allowances: PrincipalAllowances
    /// Anonymous calls in flight, per client address.
    let concurrency: ConcurrencyLimiter
    private let clock: GatewayClock
    /// The caller of every call made without a credential (its signatures are shared).
    let anonymous = Caller(.anonymous)
    /// Each event loop's recently found callers, in front of the authenticator's cache.
    private let recentCallers = LoopLocal { RecentCallers() }
    /// Each event loop's last client address and its host: a connection's calls repeat it.
    private let lastHosts = LoopLocal { LastHost() }

    /// A gate applying `limits`.
    public init(
        policy: @escaping PolicyLookup = { AccessPolicy.entry(for: $0) }, directory: ServiceDirectory,
        authenticator: Authenticator, signer: PrincipalSigner?, limits: GatewayLimits, clock: GatewayClock = .system
    ) {
        self.policy = policy
        self.directory = directory
        self.authenticator = authenticator
        signatures = signer.map { SignatureCache(signer: $0, clock: clock) }
        self.limits = limits
        addressLimiter = RateLimiter(ratePerSecond: limits.addressRate, burst: limits.addressBurst, clock: clock)
        allowances = PrincipalAllowances(limits: limits, clock: clock)
        concurrency = ConcurrencyLimiter(limit: limits.maxCallsPerPrincipal)
        self.clock = clock
    }

    /// Who is calling, once the deadline, the access rule, the route, the address's rate and the
    /// credential are checked; throws the status the call ends with otherwise.
    public func identify(_ context: some CallDescription, rule: MethodRule?) async throws(RPCError) -> IdentifiedCall {
        let checked = try check(context, rule: rule, group: directory.group(for: context.method.service))
        return IdentifiedCall(checked: checked, caller: try await caller(of: context, rule: checked.rule))
    }

    /// The checks made before the caller is known: the deadline, the access rule (`policy`'s for
    /// the method), the route (`directory`'s group for its service) and the rate of the client's
    /// address (which this spends). Throws the status the call ends with.
    public func check(_ context: some CallDescription, rule: MethodRule?, group: InstanceGroup?) throws(RPCError) -> CheckedCall {
        let method = context.method
        if let remaining = context.remainingTime, remaining > limits.maximumDeadline {
            throw RPCError(
                .invalidArgument, "the deadline is too far away: at most \(limits.maximumDeadline) is allowed",
                fieldViolations: [
                    FieldViolation(field: "timeout_micros", description: "must be at most \(limits.maximumDeadline.wholeMicros) µs")
                ])
        }
        guard let rule else {
            throw RPCError(.permissionDenied, "\(method.fullName) has no access rule: denied by default")
        }
        guard let group else {
            throw RPCError(.unimplemented, "the gateway has no route for \(method.service)")
        }
        let peer = context.peer
        let address = lastHosts.withCurrent { $0.host(of: peer) } ?? Self.host(of: peer)
        if let wait = addressLimiter.acquire(address) {
            throw Self.exhausted("too many calls from \(address)", retryAfterMillis: wait)
        }
        return CheckedCall(rule: rule, group: group, address: address)
    }

    /// The caller of `context` from its credential: anonymous on a public method without a valid
    /// one (a stale token never keeps anyone from logging in again); UNAUTHENTICATED otherwise.
    func caller(of context: some CallDescription, rule: MethodRule) async throws(RPCError) -> Caller {
        guard let credential = try Credential.from(context.metadata) else { return try anonymousCaller(context, rule: rule) }
        do {
            return try await authenticator.caller(for: credential)
        } catch  where error.code == .unauthenticated && rule.rule == .public {
            return anonymous
        }
    }

    /// The caller of `context` when it is known without asking the security service (no
    /// credential, or one answered recently); `nil` when `caller(of:rule:)` must ask.
    /// On an event loop, a credential seen lately on the same loop is recognised without parsing it
    /// again or taking the shared cache's lock (`RecentCallers`).
    public func callerIfKnown(of context: some CallDescription, rule: MethodRule) throws(RPCError) -> Caller? {
        guard let authorization = context.metadata[Metadata.Keys.authorization] else {
            return try anonymousCaller(context, rule: rule)
        }
        let cache = authenticator.cache
        // Read before the cache: a credential forgotten after this makes the copy kept below stale.
        let generation = cache.generation
        let now = cache.clock.monotonicMillis()
        if let caller = recentCallers.withCurrent({ $0.caller(for: authorization, now: now, generation: generation) }) ?? nil {
            return caller
        }
        guard let credential = try Credential.from(context.metadata) else { return try anonymousCaller(context, rule: rule) }
        guard let entry = cache.entry(for: credential) else { return nil }
        recentCallers.withCurrent {
            $0.remember(entry.caller, for: authorization, expiresAtMillis: entry.expiresAtMillis, generation: generation)
        }
        return entry.caller
    }

    private func anonymousCaller(_ context: some CallDescription, rule: MethodRule) throws(RPCError) -> Caller {
        guard rule.rule == .public else {
            throw RPCError(.unauthenticated, "\(context.method.fullName) needs a credential: authorization: Bearer <token>")
        }
        return anonymous
    }

    /// After a logout through this gateway succeeded, forgets the caller's credential, so that the
    /// ended session is refused at once here (elsewhere the cache's one-second bound applies).
    public func forgetCredential(afterLogoutOf context: some CallDescription) {
        guard context.method.fullName == Security.SessionsService.logout.fullName,
            let credential = try? Credential.from(context.metadata)
        else { return }
        authenticator.cache.forget(credential)
    }

    /// PERMISSION_DENIED naming the permission `rule` requires when `caller` lacks it.
    func checkPermission(_ caller: Caller, rule: MethodRule, method: @autoclosure () -> String) throws(RPCError) {
        if case .permission(let permission) = rule.rule, !caller.holds(permission) {
            throw RPCError(.permissionDenied, "\(method()) requires the permission \(permission.rawValue)")
        }
    }

    /// The policy check alone, for the methods the gateway answers itself (no route, no limits).
    public func authorizeLocal(_ context: ServerContext) async throws(RPCError) {
        guard let rule = policy(context.method.fullName) else {
            throw RPCError(.permissionDenied, "\(context.method.fullName) has no access rule: denied by default")
        }
        let caller = try await caller(of: context, rule: rule)
        try checkPermission(caller, rule: rule, method: context.method.fullName)
    }

    /// Lets a checked call by `caller` through when the principal holds the rule's permission and
    /// is within its rate and concurrency limits. A successful admission must be ended with
    /// `release`. (The caller comes apart from the checks: a call relayed at once never puts the
    /// two together in an `IdentifiedCall`, each of whose references would be retained for it.)
    public func admit(
        _ context: some CallDescription, _ call: CheckedCall, caller: Caller, requestID: String
    ) throws(RPCError) -> AdmittedCall {
        try checkPermission(caller, rule: call.rule, method: context.method.fullName)
        let admission: Admission
        if let allowance = caller.allowance(in: allowances) {
            switch allowance.enter(now: clock.monotonicMillis()) {
            case .rate(let wait)?:
                throw Self.exhausted("too many calls by \(caller.limitKey ?? "")", retryAfterMillis: wait)
            case .concurrency?:
                throw tooManyConcurrentCalls
            case nil:
                admission = .principal(allowance)
            }
        } else {
            let key = "anonymous@\(call.address)"
            guard concurrency.enter(key) else { throw tooManyConcurrentCalls }
            admission = .anonymous(key)
        }
        return AdmittedCall(
            caller: caller, rule: call.rule, group: call.group,
            metadata: ForwardedMetadata(
                client: context.metadata, clientAddress: context.peer, requestID: requestID,
                signature: signatures?.value(for: caller, method: context.method)),
            timeout: context.remainingTime ?? limits.defaultDeadline, admission: admission)
    }

    private var tooManyConcurrentCalls: RPCError {
        Self.exhausted("too many concurrent calls by one caller (limit \(limits.maxCallsPerPrincipal))", retryAfterMillis: 10)
    }

    /// Ends an admitted call (frees its concurrency slot): `admission` is its `AdmittedCall`'s
    /// (passed alone, the call's other fields are not copied for it).
    func release(_ admission: Admission) {
        switch admission {
        case .principal(let allowance): allowance.leave()
        case .anonymous(let key): concurrency.leave(key)
        }
    }

    /// RESOURCE_EXHAUSTED with the `retry-after-ms` hint.
    static func exhausted(_ message: String, retryAfterMillis: Int64) -> RPCError {
        RPCError(.resourceExhausted, message, metadata: [Metadata.Keys.retryAfterMillis: String(retryAfterMillis)])
    }

    /// `host` of `host:port` (`[v6]:port` too): rate limits count a client's connections together.
    static func host(of peer: String) -> String {
        guard let colon = peer.utf8.lastIndex(of: UInt8(ascii: ":")) else { return peer }
        return String(Substring(peer.utf8[..<colon]))
    }
}

extension Duration {
    /// The duration in whole microseconds.
    var wholeMicros: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}

/// The client address an event loop saw last and its host (`CallGate.host(of:)`), touched by
/// that loop's thread alone.
final class LastHost {
    private var peer = ""
    private var host = ""

    func host(of peer: String) -> String {
        if peer != self.peer {
            self.peer = peer
            host = CallGate.host(of: peer)
        }
        return host
    }
}
