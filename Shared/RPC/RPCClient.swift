import Glibc
import ProtoRuntime
import Synchronization

/// A client of one server address: a small pool of connections, each carrying many concurrent
/// calls, reconnecting with back-off when the server goes away.
///
/// Calls made while serving another call inherit its remaining time (the deadline propagates
/// downstream) and its request id.
public final class RPCClient: RPCChannel, Sendable {
    /// How a client connects and calls.
    public struct Configuration: Sendable {
        /// Connections kept to the server; calls are spread over them round robin.
        public var connections = 1
        /// Per-connection limits; a client does not close idle connections by default.
        public var limits: ConnectionLimits = {
            var limits = ConnectionLimits()
            limits.idleTimeout = nil
            return limits
        }()
        /// How long a connection attempt may take before it counts as failed.
        public var connectTimeout: Duration = .seconds(5)
        /// Waits between failed connection attempts; calls made meanwhile fail fast with UNAVAILABLE.
        public var backoff = Backoff()
        /// The timeout of calls whose options set none.
        public var defaultTimeout: Duration?
        /// Calls in flight at once on one connection; more wait for room, in order (servers refuse
        /// calls beyond their own limit, 100 by default).
        public var maxConcurrentCallsPerConnection = 100
        /// When a call is made on one of the client's event loops (a proxy serving a call), use a
        /// connection on that loop if there is one, so that the call needs no thread hop.
        public var prefersCallersLoop = false

        public init() {}
    }

    /// Exponential back-off with jitter between connection attempts.
    public struct Backoff: Sendable {
        public var initial: Duration = .milliseconds(100)
        public var maximum: Duration = .seconds(5)
        public var multiplier = 2.0
        /// Spread: each delay is randomly up to this fraction shorter or longer.
        public var jitter = 0.2

        public init() {}

        /// The wait after `failures` consecutive failed attempts (1 or more).
        public func delay(afterFailures failures: Int) -> Duration {
            let base = initial * pow(multiplier, Double(max(0, failures - 1)))
            let capped = min(base, maximum)
            return capped * Double.random(in: (1 - jitter)...(1 + jitter))
        }

        private func pow(_ base: Double, _ exponent: Double) -> Double {
            var result = 1.0
            for _ in 0..<Int(min(exponent, 64)) { result *= base }
            return result
        }
    }

    /// The server this client calls.
    public let target: SocketAddress
    public let configuration: Configuration
    private let slots: [ConnectionSlot]
    private let nextSlot = Atomic<Int>(0)
    /// The last CALL payload encoded for each method called without a timeout, with its metadata.
    private let headerCache = Mutex<[ObjectIdentifier: (method: MethodDescriptor, metadata: Metadata, headers: [UInt8])]>([:])
    /// Most methods whose headers are kept (a client calls a few; a proxy might name many).
    private static let headerCacheCapacity = 256

    public init(target: SocketAddress, configuration: Configuration = Configuration(), group: EventLoopGroup = .shared) {
        self.target = target
        self.configuration = configuration
        slots = (0..<max(1, configuration.connections)).map { _ in
            ConnectionSlot(loop: group.next(), target: target, configuration: configuration)
        }
    }

    /// Closes every connection; calls in flight fail with CANCELLED and later calls with UNAVAILABLE.
    public func close() async {
        for slot in slots {
            await slot.loop.submit { slot.close() }
        }
    }

    /// The event loops of this client's connections. A task that prefers one of them as its
    /// executor (`Task(executorPreference:)`) makes calls without any thread hop.
    public var eventLoops: [EventLoop] { slots.map(\.loop) }

    private func pickSlot() -> ConnectionSlot {
        if slots.count == 1 { return slots[0] }
        if configuration.prefersCallersLoop, let local = slots.first(where: { $0.loop.inEventLoop }) { return local }
        return slots[nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue % slots.count]
    }

    // MARK: Calls

    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions
    ) async throws -> Response {
        let prepared = try prepare(method, options)
        let slot = pickSlot()
        let handle = CallHandle()
        let response = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any ProtoMessage, any Error>) in
                slot.loop.execute {
                    slot.open(method, prepared, handle, onFailure: { continuation.resume(throwing: $0) }) { call, transport in
                        call.waiter = continuation
                        transport.sendMessage(call, request, last: true)
                    }
                }
            }
        } onCancel: {
            slot.loop.execute { slot.cancel(handle) }
        }
        return try Self.cast(response, method)
    }

    /// Forwards a relayed call (`MethodHandler.relayUnary`) to this client's server as a call of
    /// `method` (usually the same, `raw`) whose CALL frame carries `metadata` and `timeout`. The
    /// server's answer goes to the relayed call's client as it came, and `completion` learns how
    /// the attempt ended, once, on the connection's loop (`.failed` leaves the call to the
    /// caller: try again, or `fail` it). When the relayed call ends first, the attempt is cancelled.
    ///
    /// Made on the relayed call's loop with a connection of this client on that loop
    /// (`Configuration.prefersCallersLoop`), nothing crosses threads and the answer is passed on
    /// without a copy of its STATUS.
    public func relay(
        _ call: RelayedCall, as method: MethodDescriptor, metadata: some OutgoingMetadata, timeout: Duration?,
        completion: @escaping @Sendable (RelayAttempt) -> Void
    ) {
        guard call.loop.inEventLoop else {
            call.loop.execute { self.relay(call, as: method, metadata: metadata, timeout: timeout, completion: completion) }
            return
        }
        guard !call.isEnded else {
            completion(.failed(RPCError(.cancelled, "the call has ended")))
            return
        }
        if let timeout, timeout <= .zero {
            completion(.failed(RPCError(.deadlineExceeded, "\(method) was given no time")))
            return
        }
        let slot = pickSlot()
        let timeoutMicros = timeout.map { max(1, $0.wholeMicroseconds) } ?? 0
        // The headers are written by a closure passed as it is made (not kept in a constant):
        // it then lives on the stack, and a relayed call allocates nothing for it.
        if slot.loop.inEventLoop, let transport = slot.transportWithRoom() {
            // On the call's own loop the attempt is the relayed call itself, and its deadline the
            // call's (made no later than `timeout`): nothing else is allocated for it.
            call.attemptCompletion = completion
            let id = transport.openRelay(call) {
                metadata.encodeCallHeaders(method: method.fullName, timeoutMicros: timeoutMicros, into: &$0)
            }
            call.upstream = StartedCall(slot: slot, call: .open(id, on: transport))
            if let timeout { call.limitDeadline(to: timeout) }
            return
        }
        let handle = CallHandle()
        call.upstream = StartedCall(slot: slot, call: .waiting(handle))
        var headers: [UInt8] = []
        metadata.encodeCallHeaders(method: method.fullName, timeoutMicros: timeoutMicros, into: &headers)
        let prepared = PreparedCall(headers: headers, timeout: timeout)
        slot.loop.execute {
            slot.open(method, prepared, handle, onFailure: { completion(.failed($0)) }) { clientCall, transport in
                Self.attach(call, completion, to: clientCall, on: transport)
            }
        }
    }

    /// Makes `clientCall` the forwarded attempt of `call` and sends the request.
    private static func attach(
        _ call: RelayedCall, _ completion: @escaping @Sendable (RelayAttempt) -> Void, to clientCall: ClientCall,
        on transport: ClientTransport
    ) {
        clientCall.relay = call
        clientCall.relayCompletion = completion
        transport.sendRelayedRequest(clientCall, call.request)
    }

    public func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions,
        onResponse: @escaping @Sendable (Response) async throws -> Void
    ) async throws {
        let prepared = try prepare(method, options)
        let slot = pickSlot()
        let handle = CallHandle()
        let responses = InboundQueue { size in
            slot.loop.execute { handle.transport?.connection.releaseInbound(size) }
        }
        slot.loop.execute {
            slot.open(method, prepared, handle, onFailure: { responses.finish(.failure($0)) }) { call, transport in
                call.stream = responses
                transport.sendMessage(call, request, last: true)
            }
        }
        try await withTaskCancellationHandler {
            do {
                while let response = try await responses.next() {
                    try await onResponse(try Self.cast(response, method))
                }
            } catch {
                responses.discard()
                slot.loop.execute { slot.cancel(handle) }
                throw error
            }
        } onCancel: {
            slot.loop.execute { slot.cancel(handle) }
        }
    }

    public func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, options: CallOptions,
        requests: @escaping @Sendable (RequestWriter<Request>) async throws -> Void
    ) async throws -> Response {
        let prepared = try prepare(method, options)
        let slot = pickSlot()
        let handle = CallHandle()
        let response = try await withTaskCancellationHandler {
            try await withTaskExecutorPreference(slot.loop) {
                let call = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ClientCall, any Error>) in
                    slot.open(method, prepared, handle, onFailure: { continuation.resume(throwing: $0) }) { call, _ in
                        continuation.resume(returning: call)
                    }
                }
                do {
                    try await requests(RequestWriter(sink: ClientStreamSink(slot: slot, handle: handle, call: call)))
                } catch {
                    slot.cancel(handle)
                    throw error
                }
                handle.transport?.sendHalfClose(call)
                return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any ProtoMessage, any Error>) in
                    if let outcome = call.outcome {
                        continuation.resume(with: outcome.mapError { $0 as any Error })
                    } else {
                        call.waiter = continuation
                    }
                }
            }
        } onCancel: {
            slot.loop.execute { slot.cancel(handle) }
        }
        return try Self.cast(response, method)
    }

    private static func cast<Response: ProtoMessage>(_ message: any ProtoMessage, _ method: MethodDescriptor) throws -> Response {
        guard let response = message as? Response else {
            throw RPCError(.internalError, "\(method) answered \(type(of: message).protoName), expected \(Response.protoName)")
        }
        return response
    }

    /// The CALL frame payload and the client-side timeout of a call, with the deadline and request
    /// id inherited from the call being served, if any.
    private func prepare(_ method: MethodDescriptor, _ options: CallOptions) throws -> PreparedCall {
        var metadata = options.metadata
        var timeout = options.timeout ?? configuration.defaultTimeout
        if let parent = ServerContext.current {
            if let remaining = parent.remainingTime {
                guard remaining > .zero else {
                    throw RPCError(.deadlineExceeded, "no time left for \(method): the calling request's deadline has passed")
                }
                timeout = min(timeout ?? remaining, remaining)
            }
            if metadata[Metadata.Keys.requestID] == nil, let requestID = parent.requestID {
                metadata[Metadata.Keys.requestID] = requestID
            }
        }
        if let timeout, timeout <= .zero {
            throw RPCError(.deadlineExceeded, "\(method) was given no time")
        }
        // Without a timeout, a method's headers are the same from call to call as long as the
        // metadata is (none, or a credential the caller repeats): encoded once, then reused.
        // (The entry keeps its descriptor: an identifier never stands for another method.)
        let key = ObjectIdentifier(method)
        if timeout == nil, let cached = headerCache.withLock({ $0[key] }), cached.method === method,
            cached.metadata.hasSamePairs(as: metadata)
        {
            return PreparedCall(headers: cached.headers, timeout: nil)
        }
        let encoded = CallHeaders(
            method: method.fullName, metadata: metadata, timeoutMicros: timeout.map { max(1, $0.wholeMicroseconds) } ?? 0
        ).encoded
        if timeout == nil {
            headerCache.withLock { cache in
                if cache.count >= Self.headerCacheCapacity && cache[key] == nil { cache.removeAll(keepingCapacity: true) }
                cache[key] = (method, metadata, encoded)
            }
        }
        return PreparedCall(headers: encoded, timeout: timeout)
    }
}

/// A forwarded attempt of a relayed call (`RPCClient.relay`), which the relayed call cancels when
/// it ends first.
struct StartedCall: Sendable {
    /// Where the attempt is.
    enum Place: @unchecked Sendable {
        // @unchecked Sendable: the transport is touched on the slot's loop only.
        /// Opened at once: its id on its transport, no handle needed.
        case open(UInt32, on: ClientTransport)
        /// Handed to the loop, perhaps queued for room on a connection: found through its handle.
        case waiting(CallHandle)
    }

    let slot: ConnectionSlot
    let call: Place

    /// Gives up on the call: the server is told, and the attempt fails with `reason` unless it
    /// already ended. Done before this returns when made on the connection's loop.
    func cancel(_ reason: RPCError) {
        if slot.loop.inEventLoop {
            cancelOnLoop(reason)
        } else {
            slot.loop.execute { cancelOnLoop(reason) }
        }
    }

    private func cancelOnLoop(_ reason: RPCError) {
        switch call {
        case .open(let id, let transport): transport.abandon(id, reason)
        case .waiting(let handle): slot.cancel(handle, reason)
        }
    }
}

/// What a call needs on the wire, computed before it reaches the loop.
struct PreparedCall: Sendable {
    let headers: [UInt8]
    let timeout: Duration?
}

/// Ties a caller's task to its call on the loop, so cancellation finds the call (or prevents it).
final class CallHandle: @unchecked Sendable {
    // @unchecked Sendable: the fields are read and written on the slot's loop only.
    var cancelled = false
    /// Strong (no weak reference per call): a handle lives no longer than its caller waits, and
    /// cancelling a call its closed transport already ended does nothing.
    var transport: ClientTransport?
    var callID: UInt32 = 0
}

/// The sink behind a client-streaming caller's `RequestWriter`.
private struct ClientStreamSink: OutboundMessageSink, @unchecked Sendable {
    // @unchecked Sendable: `call` is only touched on the slot's loop, where `write` runs.
    let slot: ConnectionSlot
    let handle: CallHandle
    let call: ClientCall

    func write(_ message: any ProtoMessage) async throws {
        try await withTaskExecutorPreference(slot.loop) {
            guard let transport = handle.transport, transport.calls[call.id] != nil else {
                if case .failure(let error)? = call.outcome { throw error }
                throw RPCError(.cancelled, "the call has ended")
            }
            transport.sendMessage(call, message, last: false)
            guard await transport.waitUntilWritable() else {
                throw RPCError(.unavailable, "connection to \(slot.target) lost")
            }
        }
    }
}

/// One connection of a client's pool: the current transport, the ones draining after a GOAWAY,
/// and the back-off state after failed attempts. Confined to its loop.
final class ConnectionSlot: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is touched only on `loop`.
    let loop: EventLoop
    let target: SocketAddress
    let configuration: RPCClient.Configuration
    private var current: ClientTransport?
    private var retired: [ObjectIdentifier: ClientTransport] = [:]
    private var failures = 0
    private var backoffUntil: MonotonicTime?
    private var lastError: RPCError?
    private var closed = false

    init(loop: EventLoop, target: SocketAddress, configuration: RPCClient.Configuration) {
        self.loop = loop
        self.target = target
        self.configuration = configuration
    }

    /// A call waiting for room on the connection.
    private struct PendingOpen {
        let method: MethodDescriptor
        let prepared: PreparedCall
        let handle: CallHandle
        let since: MonotonicTime
        let onFailure: (RPCError) -> Void
        let onOpen: (ClientCall, ClientTransport) -> Void
    }

    private var pending: [PendingOpen] = []

    /// Opens a call once a connection has room for it, then runs `onOpen`; runs `onFailure` when
    /// there is no connection to be had (or the call was cancelled or timed out while waiting).
    func open(
        _ method: MethodDescriptor, _ prepared: PreparedCall, _ handle: CallHandle,
        onFailure: @escaping (RPCError) -> Void, onOpen: @escaping (ClientCall, ClientTransport) -> Void
    ) {
        let request = PendingOpen(
            method: method, prepared: prepared, handle: handle, since: MonotonicTime.now(), onFailure: onFailure, onOpen: onOpen)
        if pending.isEmpty {
            if !tryOpen(request) { pending.append(request) }
        } else {
            pending.append(request)
        }
    }

    /// The current connection when it is ready and has room for a call and no call waits before
    /// it; `nil` otherwise (`open` then queues or fails the call). On the loop.
    func transportWithRoom() -> ClientTransport? {
        guard pending.isEmpty, !closed, let transport = current, transport.acceptsNewCalls,
            transport.callsInFlight < configuration.maxConcurrentCallsPerConnection
        else { return nil }
        return transport
    }

    /// Opens the call on `transport` and ties `handle` to it.
    private static func open(
        _ method: MethodDescriptor, timeout: Duration?, _ handle: CallHandle, on transport: ClientTransport,
        writeHeaders: (inout [UInt8]) -> Void
    ) -> ClientCall {
        let call = transport.open(method, timeout: timeout, writeHeaders: writeHeaders)
        handle.transport = transport
        handle.callID = call.id
        return call
    }

    /// Opens `request` if a connection has room; false when it must wait.
    private func tryOpen(_ request: PendingOpen) -> Bool {
        if request.handle.cancelled {
            request.onFailure(RPCError(.cancelled, "the call was cancelled"))
            return true
        }
        var timeout = request.prepared.timeout
        if let original = timeout {
            let waited = Duration.nanoseconds(Int64(MonotonicTime.now().nanoseconds(since: request.since)))
            guard waited < original else {
                request.onFailure(RPCError(.deadlineExceeded, "deadline of \(original) exceeded while waiting for a connection"))
                return true
            }
            timeout = original - waited
        }
        switch usableTransport() {
        case .failure(let error):
            request.onFailure(error)
            return true
        case .success(let transport):
            guard transport.callsInFlight < configuration.maxConcurrentCallsPerConnection else { return false }
            let call = Self.open(request.method, timeout: timeout, request.handle, on: transport) {
                $0.append(contentsOf: request.prepared.headers)
            }
            request.onOpen(call, transport)
            return true
        }
    }

    /// Opens waiting calls while there is room.
    private func openPending() {
        while let first = pending.first {
            guard tryOpen(first) else { return }
            pending.removeFirst()
        }
    }

    func cancel(_ handle: CallHandle, _ reason: RPCError = RPCError(.cancelled, "the call was cancelled by the caller")) {
        handle.cancelled = true
        if let index = pending.firstIndex(where: { $0.handle === handle }) {
            let waiting = pending.remove(at: index)
            waiting.onFailure(reason)
            return
        }
        handle.transport?.abandon(handle.callID, reason)
    }

    private func usableTransport() -> Result<ClientTransport, RPCError> {
        if closed { return .failure(RPCError(.unavailable, "the client for \(target) is closed")) }
        if let current, current.acceptsNewCalls { return .success(current) }
        let now = MonotonicTime.now()
        if let backoffUntil, now < backoffUntil {
            let waitMillis = backoffUntil.nanoseconds(since: now) / 1_000_000
            let reason = lastError?.message ?? "connection failed"
            return .failure(RPCError(.unavailable, "cannot reach \(target): \(reason) (next attempt in \(waitMillis) ms)"))
        }
        do {
            let (fd, _) = try Socket.connect(to: target)
            let framed = FramedConnection(fd: fd, peer: target, role: .client, loop: loop, limits: configuration.limits)
            let transport = ClientTransport(connection: framed)
            transport.onReady = { [weak self] in
                self?.failures = 0
                self?.backoffUntil = nil
            }
            transport.onRetire = { [weak self] transport in
                guard let self else { return }
                if self.current === transport { self.current = nil }
                self.retired[ObjectIdentifier(transport)] = transport
                self.loop.executeSoon { self.openPending() }
            }
            transport.onCallEnded = { [weak self] in
                guard let self, !self.pending.isEmpty else { return }
                self.openPending()
            }
            transport.onClose = { [weak self] transport, error, prefaceSeen in
                guard let self else { return }
                if self.current === transport { self.current = nil }
                self.retired.removeValue(forKey: ObjectIdentifier(transport))
                if !prefaceSeen { self.recordFailure(error) }
                if !self.pending.isEmpty { self.loop.executeSoon { self.openPending() } }
            }
            do throws(IOError) {
                try framed.start()
            } catch {
                framed.delegate = nil
                Glibc.close(fd)
                throw error
            }
            current = transport
            let deadline = now.advanced(by: configuration.connectTimeout)
            // Captured strongly (no weak reference): for a closed transport this does nothing.
            loop.scheduleTimer(at: deadline) { [transport, target] in
                guard !transport.receivedPreface else { return }
                transport.connection.close(reason: RPCError(.unavailable, "connecting to \(target) timed out"))
            }
            return .success(transport)
        } catch {
            let rpcError = RPCError(.unavailable, "cannot reach \(target): \(error)", cause: error)
            recordFailure(rpcError)
            return .failure(rpcError)
        }
    }

    private func recordFailure(_ error: RPCError) {
        failures += 1
        lastError = error
        backoffUntil = MonotonicTime.now().advanced(by: configuration.backoff.delay(afterFailures: failures))
    }

    func close() {
        closed = true
        let waiting = pending
        pending.removeAll()
        for request in waiting { request.onFailure(RPCError(.unavailable, "the client for \(target) is closed")) }
        let all = [current].compactMap { $0 } + Array(retired.values)
        current = nil
        retired.removeAll()
        for transport in all {
            transport.connection.close(reason: RPCError(.cancelled, "the client was closed"))
        }
    }
}
