import AccessControl
import BackofficeAPI
import Crypto
import RPC
import ServiceRuntime
import Synchronization

/// The gateway's forwarding: one raw handler per method of every service in the catalogue (and
/// for unknown methods of routed services, which are denied), each admitting the call through
/// the `CallGate`, forwarding its message bytes untouched to an instance of the owning service,
/// logging it, and recording mutating calls in the audit spool before answering.
public final class GatewayService: UnknownMethodService {
    /// Services the gateway answers itself instead of forwarding.
    public static let localServices: Set<String> = [
        Health.HealthService.descriptor.name, Gateway.ReflectionService.descriptor.name,
    ]

    /// A name for the forwarding itself; its methods are the forwarded services' (`methodHandlers`).
    public static var serviceDescriptor: ServiceDescriptor {
        ServiceDescriptor(name: "backoffice.gateway.Forwarding", methods: [])
    }

    /// Decides who may call what.
    public let gate: CallGate
    /// Where mutating calls' outcomes go; `nil` records nothing (tests of forwarding alone).
    public let spool: AuditSpool?
    private let logger: Logger?
    private let clock: GatewayClock
    private let retryBudget = RetryBudget()
    /// The CALL headers of relayed calls.
    let forwardedHeaders = ForwardedHeaders()
    // A short prefix (4 random characters): ids stay within Swift's 15-byte inline strings, no
    // allocation per call, for the first 4 billion calls.
    private let requestIDs = RequestIDGenerator(prefix: "gw" + SecureRandom.token(byteCount: 3) + "-")
    private let services: [ServiceDescriptor]

    /// Forwarding for every method of `services` except the local ones.
    public init(
        gate: CallGate, spool: AuditSpool?, logger: Logger?, clock: GatewayClock = .system,
        services: [ServiceDescriptor] = ServiceCatalogue.all
    ) {
        self.gate = gate
        self.spool = spool
        self.logger = logger
        self.clock = clock
        self.services = services.filter { !Self.localServices.contains($0.name) }
    }

    /// One forwarding handler per method of the forwarded services (the server asks once).
    public var methodHandlers: [MethodHandler] {
        services.flatMap(\.methods).map { method in
            makeHandler(method, extractor: TargetExtractor(descriptor: method.requestType.protobufDescriptor))
        }
    }

    /// Methods no descriptor lists: if their service is routed, a handler that the gate denies (no
    /// access rule); otherwise `nil` (UNIMPLEMENTED).
    public func handler(forUnknownMethod fullName: String) -> MethodHandler? {
        let parts = fullName.split(separator: "/")
        guard parts.count == 2, gate.directory.group(for: String(parts[0])) != nil else { return nil }
        let method = MethodDescriptor(
            service: String(parts[0]), name: String(parts[1]), kind: .unary, requestType: RawMessage.self,
            responseType: RawMessage.self)
        return makeHandler(method, extractor: nil)
    }

    private func makeHandler(_ method: MethodDescriptor, extractor: TargetExtractor?) -> MethodHandler {
        let raw = method.raw
        switch method.kind {
        case .unary:
            // Looked up once: the policy and the routes do not change while the gateway runs.
            let rule = gate.policy(method.fullName)
            let group = gate.directory.group(for: method.service)
            return .relayUnary(raw) { [self] call in
                serveUnary(raw, call, rule: rule, group: group, extractor: extractor)
            }
        case .serverStreaming:
            return .serverStreaming(raw) { [self] (request: RawMessage, responses: ResponseWriter<RawMessage>, context: ServerContext) in
                try await serve(context, target: { extractor?.target(in: request.bytes) ?? "" }) { call in
                    try await self.forwardServerStreaming(raw, request, responses, call)
                }
            }
        case .clientStreaming:
            return .clientStreaming(raw) { [self] (requests: RequestStream<RawMessage>, context: ServerContext) in
                let first = FirstMessage()
                return try await serve(context, target: { first.bytes.map { extractor?.target(in: $0) ?? "" } ?? "" }) {
                    call in
                    try await self.forwardClientStreaming(raw, requests, call, first: first)
                }
            }
        }
    }

    // MARK: One unary call

    /// Serves a unary call from the connection's event loop. A read-only call whose caller is
    /// known at once (no credential needed, or one answered recently) is admitted and relayed
    /// right there: its request and the service's answer pass through as bytes, with no task and
    /// no thread hop. A call whose credential must be checked first waits for that in a task; a
    /// mutating call, whose audit record is written ahead, is served by `serve` in a task.
    private func serveUnary(
        _ method: MethodDescriptor, _ call: RelayedCall, rule: MethodRule?, group: InstanceGroup?, extractor: TargetExtractor?
    ) {
        guard let rule, rule.readOnly else {
            let context = call.context
            let request = RawMessage(bytes: call.request)
            let task = Task {
                do {
                    let response = try await serve(context, target: { extractor?.target(in: request.bytes) ?? "" }) { admitted in
                        try await forwardUnary(method, request, admitted)
                    }
                    call.respond(response.bytes)
                } catch {
                    call.fail(error)
                }
            }
            call.onCancel { task.cancel() }
            return
        }
        // The checks read the call's own fields: no context is made for a call relayed at once.
        let started = startedIfLogged()
        let requestID = call.requestID ?? requestIDs.next()
        let checked: CheckedCall
        let caller: Caller?
        do {
            checked = try gate.check(call, rule: rule, group: group)
            caller = try gate.callerIfKnown(of: call, rule: rule)
        } catch {
            finishCall(call, requestID: requestID, principal: nil, since: started, failure: error)
            call.fail(error)
            return
        }
        if let caller {
            relay(method, call, checked, caller, requestID: requestID, since: started)
            return
        }
        let context = call.context
        let lookup = Task {
            do {
                let caller = try await gate.caller(of: context, rule: rule)
                relay(method, call, checked, caller, requestID: requestID, since: started)
            } catch {
                finishCall(context, requestID: requestID, principal: nil, since: started, failure: error)
                call.fail(error)
            }
        }
        call.onCancel { lookup.cancel() }
    }

    /// Admits a checked read-only call by `caller` and relays it to an instance of its service.
    private func relay(
        _ method: MethodDescriptor, _ call: RelayedCall, _ checked: CheckedCall, _ caller: Caller, requestID: String,
        since started: ContinuousClock.Instant?
    ) {
        let forward: RelayedForward
        do {
            // The admission goes straight into the forward (kept in a constant first, it would be
            // copied there, each of its references retained).
            forward = RelayedForward(
                gateway: self, method: method, call: call, admitted: try gate.admit(call, checked, caller: caller, requestID: requestID),
                started: started)
        } catch {
            finishCall(call, requestID: requestID, principal: caller.principal, since: started, failure: error)
            call.fail(error)
            return
        }
        retryBudget.recordCall()
        forward.attempt()
    }

    /// A read-only unary call on its way to its service: its admission and its attempts, in the
    /// one object the gateway allocates for it. The attempts' completion captures this object
    /// alone, so the closure needs no context of its own.
    final class RelayedForward: OutgoingMetadata, @unchecked Sendable {
        // @unchecked Sendable: `attempts` and `instance` change only between attempts, which run
        // one after the other (each one's completion starts the next, if any).
        private let gateway: GatewayService
        private let method: MethodDescriptor
        private let call: RelayedCall
        private let admitted: AdmittedCall
        private let started: ContinuousClock.Instant?
        private var attempts = 0
        /// The instance of the attempt in flight.
        private var instance: ServiceInstance?

        init(
            gateway: GatewayService, method: MethodDescriptor, call: RelayedCall, admitted: AdmittedCall,
            started: ContinuousClock.Instant?
        ) {
            self.gateway = gateway
            self.method = method
            self.call = call
            self.admitted = admitted
            self.started = started
        }

        /// The forwarded metadata's pairs, read where they are stored.
        func forEachPair(_ body: (_ key: String, _ value: String) -> Void) { admitted.metadata.forEachPair(body) }

        /// The CALL header, from the part the loop's calls share (`ForwardedHeaders`).
        func encodeCallHeaders(method: String, timeoutMicros: Int64, into buffer: inout [UInt8]) {
            gateway.forwardedHeaders.encode(method: method, metadata: admitted.metadata, timeoutMicros: timeoutMicros, into: &buffer)
        }

        /// Relays the call to an instance other than `failed`. When the attempt fails with
        /// UNAVAILABLE, the instance is checked and, within the retry budget, another one tried;
        /// otherwise the call ends: the service's answer went to the client already, or the
        /// failure goes now.
        func attempt(excluding failed: ServiceInstance? = nil) {
            guard let instance = admitted.group.pick(excluding: failed) else {
                call.fail(RPCError(.unavailable, "no healthy instance of \(admitted.group.name)"))
                ended(code: .unavailable)
                return
            }
            attempts += 1
            self.instance = instance
            instance.client.relay(call, as: method, metadata: self, timeout: admitted.timeout) { [self] in attemptEnded($0) }
        }

        private func attemptEnded(_ outcome: RelayAttempt) {
            switch outcome {
            case .answered(let code):
                ended(code: code)
            case .failed(let error):
                if error.code == .unavailable, let instance {
                    gateway.checkSoon(instance)
                    if !call.isEnded, gateway.mayRetry(admitted, after: attempts, on: instance) {
                        attempt(excluding: instance)
                        return
                    }
                }
                call.fail(error)
                ended(code: error.code)
            }
        }

        /// The call ended with `code`: frees its admission and logs it.
        private func ended(code: StatusCode) {
            gateway.gate.release(admitted.admission)
            gateway.logCall(
                call, requestID: admitted.requestID, principal: admitted.principal, code: code, since: started)
        }
    }

    // MARK: One call

    /// Admits the call, runs `body`, then logs it. A mutating call's audit record is written ahead
    /// (committed before the call is forwarded, finished with its outcome before the response);
    /// a call refused before forwarding is recorded afterwards.
    private func serve<T: Sendable>(
        _ context: ServerContext, target: () -> String, _ body: (AdmittedCall) async throws -> T
    ) async throws -> T {
        let started = startedIfLogged()
        let requestID = context.requestID ?? requestIDs.next()
        let rule = gate.policy(context.method.fullName)
        let audited = !(rule?.readOnly ?? false) ? spool : nil
        var principal: Auth.Principal?
        var written: Int64?
        let outcome: Result<T, any Error>
        do {
            let identified = try await gate.identify(context, rule: rule)
            principal = identified.principal
            let call = try gate.admit(context, identified.checked, caller: identified.caller, requestID: requestID)
            do {
                if let audited {
                    written = try await writeAhead(
                        auditRecord(context, requestID: requestID, principal: principal, target: target(), code: .unknown),
                        to: audited)
                }
                outcome = .success(try await body(call))
            } catch {
                outcome = .failure(error)
            }
            gate.release(call.admission)
        } catch {
            outcome = .failure(error)
        }
        let failure: (any Error)? = if case .failure(let error) = outcome { error } else { nil }
        // A logout is never read-only, so it always comes this way.
        if failure == nil { gate.forgetCredential(afterLogoutOf: context) }
        let code = finishCall(context, requestID: requestID, principal: principal, since: started, failure: failure)
        if let audited {
            let record = auditRecord(context, requestID: requestID, principal: principal, target: target(), code: code)
            do {
                if let written { try await audited.finish(written, record) } else { try await audited.append(record) }
            } catch {
                logger?.error("cannot spool an audit record", ["method": record.method, "error": String(describing: error)])
            }
        }
        return try outcome.get()
    }

    /// Commits the record of a call about to be forwarded; a call that cannot be recorded is not
    /// forwarded (UNAVAILABLE).
    private func writeAhead(_ record: Audit.Record, to spool: AuditSpool) async throws -> Int64 {
        do {
            return try await spool.begin(record)
        } catch {
            logger?.error("cannot spool an audit record", ["method": record.method, "error": String(describing: error)])
            throw RPCError(.unavailable, "the gateway cannot record the call in its audit spool; try again later")
        }
    }

    /// Logs a call whose outcome is known (its access-log line) and returns its status code.
    @discardableResult
    private func finishCall(
        _ context: some CallDescription, requestID: String, principal: @autoclosure () -> Auth.Principal?,
        since started: ContinuousClock.Instant?, failure: (any Error)?
    ) -> StatusCode {
        let code = failure.map { RPCError(converting: $0).code } ?? .ok
        logCall(context, requestID: requestID, principal: principal(), code: code, since: started)
        return code
    }

    /// When a call started, read only when its access-log line will be written (the latency is
    /// for that line alone; a clock read per call is not free).
    private func startedIfLogged() -> ContinuousClock.Instant? {
        logger?.isEnabled(.info) == true ? .now : nil
    }

    /// Writes a call's access-log line; `principal` is evaluated only then (a copy of it retains
    /// each of its strings).
    private func logCall(
        _ context: some CallDescription, requestID: String, principal: @autoclosure () -> Auth.Principal?, code: StatusCode,
        since started: ContinuousClock.Instant?
    ) {
        // Asked in place first: binding the logger copies it, which is not free for every call.
        guard logger?.isEnabled(.info) == true, let logger else { return }
        let latency = started.map { (ContinuousClock.now - $0).wholeMicros } ?? 0
        logger.log(
            .info, "call", requestID: requestID, method: context.method.fullName,
            fields: [
                ("principal", principal().map(Self.actor) ?? ""), ("code", code.name), ("latency_us", latency), ("peer", context.peer),
            ])
    }

    /// The audit record of a call.
    private func auditRecord(
        _ context: ServerContext, requestID: String, principal: Auth.Principal?, target: String, code: StatusCode
    ) -> Audit.Record {
        var record = Audit.Record()
        record.actor = principal.map(Self.actor) ?? ""
        record.actorKind = principal.map(Self.actorKind) ?? "unauthenticated"
        record.method = context.method.fullName
        record.target = target
        record.outcome = code.name
        record.clientAddress = context.peer
        record.requestId = requestID
        record.occurredAtUnixMs = clock.unixMillis()
        return record
    }

    /// The principal as the audit trail and the logs name it.
    static func actor(_ principal: Auth.Principal) -> String {
        principal.isAnonymous ? "anonymous" : principal.subjectId
    }

    static func actorKind(_ principal: Auth.Principal) -> String {
        if principal.isAnonymous { return "anonymous" }
        switch principal.kind {
        case .staff: return "staff"
        case .customer: return "customer"
        case .program: return "program"
        case .service: return "service"
        case .unspecified, .unrecognized: return "unknown"
        }
    }

    // MARK: Forwarding

    /// Forwards a mutating unary call from its task: one attempt (only read-only methods are
    /// retried), cancelled with the task.
    private func forwardUnary(_ method: MethodDescriptor, _ request: RawMessage, _ call: AdmittedCall) async throws -> RawMessage {
        try await withRetries(call) { instance in
            try await instance.client.unary(method, request, options: call.options)
        }
    }

    private func forwardServerStreaming(
        _ method: MethodDescriptor, _ request: RawMessage, _ responses: ResponseWriter<RawMessage>, _ call: AdmittedCall
    ) async throws {
        let forwarded = Atomic<Bool>(false)
        try await withRetries(call, retryable: { !forwarded.load(ordering: .relaxed) }) { instance in
            try await instance.client.serverStreaming(method, request, options: call.options) { (response: RawMessage) in
                forwarded.store(true, ordering: .relaxed)
                try await responses.write(response)
            }
        }
    }

    private func forwardClientStreaming(
        _ method: MethodDescriptor, _ requests: RequestStream<RawMessage>, _ call: AdmittedCall, first: FirstMessage
    ) async throws -> RawMessage {
        // The requests cannot be replayed: one attempt.
        try await withRetries(call, retryable: { false }) { instance in
            try await instance.client.clientStreaming(method, options: call.options) { (writer: RequestWriter<RawMessage>) in
                for try await request in requests {
                    first.keep(request.bytes)
                    try await writer.write(request)
                }
            }
        }
    }

    /// Runs `attempt` on an instance; when it fails with UNAVAILABLE, has the instance checked and,
    /// for read-only methods within the retry budget, tries another instance.
    private func withRetries<T>(
        _ call: AdmittedCall, retryable: () -> Bool = { true }, _ attempt: (ServiceInstance) async throws -> T
    ) async throws -> T {
        retryBudget.recordCall()
        var failed: ServiceInstance?
        var attempts = 0
        while true {
            guard let instance = call.group.pick(excluding: failed) else {
                throw RPCError(.unavailable, "no healthy instance of \(call.group.name)")
            }
            attempts += 1
            do {
                return try await attempt(instance)
            } catch let error as RPCError where error.code == .unavailable {
                checkSoon(instance)
                guard retryable(), mayRetry(call, after: attempts, on: instance) else { throw error }
                failed = instance
            }
        }
    }

    /// Whether a call whose attempt number `attempts` found `instance` unavailable may try again:
    /// only a read-only method, within the attempts allowed and the retry budget, and only when
    /// another instance is there to try.
    private func mayRetry(_ call: AdmittedCall, after attempts: Int, on instance: ServiceInstance) -> Bool {
        call.rule.readOnly && attempts < gate.limits.maxAttempts && call.group.pick(excluding: instance) != nil
            && retryBudget.withdrawRetry()
    }

    /// Health-checks `instance` in the background, outside the current call (no inherited deadline).
    private func checkSoon(_ instance: ServiceInstance) {
        let directory = gate.directory
        let timeout = gate.limits.healthCheckTimeout
        Task.detached { await directory.check(instance, timeout: timeout) }
    }
}
