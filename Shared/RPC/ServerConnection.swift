import ProtoRuntime

/// The server side of one connection: opens calls from CALL frames, feeds them their requests,
/// runs their handlers as tasks on the connection's loop, and ends each with exactly one STATUS.
final class ServerConnection: FramedConnectionDelegate, @unchecked Sendable {
    // @unchecked Sendable: all mutable state is confined to `loop`; handler tasks prefer `loop` as
    // their executor and hop to it (`onLoop`) before touching anything here.

    /// A call served by a handler in a task (a relayed call is a `RelayedCall`).
    private final class HandledCall: ServerCall, @unchecked Sendable {
        var handler: MethodHandler { route.handler }
        var interceptors: ArraySlice<any ServerInterceptor> { route.interceptors }
        let context: ServerContext
        var request: (any ProtoMessage)?
        var requests: InboundQueue?
        var task: Task<Void, Never>?

        init(id: UInt32, route: ServerRouter.Route, context: ServerContext, timeout: Duration?) {
            self.context = context
            super.init(id: id, route: route, metadata: context.metadata, peer: context.peer, timeout: timeout)
        }

        override func stop(_ reason: RPCError) {
            task?.cancel()
            requests?.finish(.failure(reason))
        }

        override func didEnd() { requests?.discard() }
    }

    let connection: FramedConnection
    private let router: ServerRouter
    private var loop: EventLoop { connection.loop }
    private var calls: [UInt32: ServerCall] = [:]
    private var lastCallID: UInt32 = 0
    /// Decodes the CALL frames, each against the last (a repeat is not decoded again).
    private var headerDecoder = CallHeaderDecoder()
    /// The route of the last call to a listed method, by the method's name as that call's headers
    /// decoded it: a client calls one method again and again, and the next call's name, decoded
    /// reusing that string, compares equal at once, with no hashing.
    private var previousRoute: (method: String, route: ServerRouter.Route)?
    private var draining = false
    private var writableWaiters: [CheckedContinuation<Void, Never>] = []
    /// The one timer behind all the calls' deadlines.
    private var deadlines = DeadlineSweep()
    /// Told when the connection has closed (the server's registry of open connections).
    var onClose: (() -> Void)?

    init(connection: FramedConnection, router: ServerRouter) {
        self.connection = connection
        self.router = router
        connection.delegate = self
    }

    var hasCallsInFlight: Bool { !calls.isEmpty }

    // MARK: Frames

    func connectionDidReceivePreface(_ connection: FramedConnection) {
        // A shutdown that began before the client's preface arrived is announced now, after ours.
        if draining { announceDrain(message: "the server is shutting down") }
    }

    func connection(_ connection: FramedConnection, didReceive header: FrameHeader, payload: UnsafeRawBufferPointer) {
        guard let type = FrameType(rawValue: header.type) else {
            violation(.invalidArgument, "unknown frame type 0x\(String(header.type, radix: 16))")
            return
        }
        if type != .goAway && header.callID == 0 {
            violation(.invalidArgument, "\(type) frame with call id 0")
            return
        }
        switch type {
        case .call: openCall(header.callID, payload)
        case .message: receiveMessage(header.callID, payload, last: header.flags & FrameFlags.endStream != 0)
        case .halfClose: receiveHalfClose(header.callID)
        case .cancel: cancelCall(header.callID)
        case .goAway: beginDrain(message: "client is going away")
        case .status: violation(.invalidArgument, "STATUS frames go from server to client")
        case .ping: break  // answered by the connection
        }
    }

    private func violation(_ code: StatusCode, _ message: String) {
        connection.protocolViolation(code, message, lastCallID: lastCallID)
    }

    /// The route of `method`: the last call's when it is the same method.
    private func route(for method: String) -> ServerRouter.Route? {
        if let previousRoute, previousRoute.method == method { return previousRoute.route }
        let route = router.route(for: method)
        if let route, route.isListed { previousRoute = (method, route) }
        return route
    }

    private func openCall(_ id: UInt32, _ payload: UnsafeRawBufferPointer) {
        guard id > lastCallID else {
            violation(.invalidArgument, "call id \(id) was already used on this connection (ids must increase)")
            return
        }
        lastCallID = id
        connection.noteActivity()
        let headers: CallHeaders
        do {
            headers = try headerDecoder.decode(payload)
        } catch {
            sendStatus(id, RPCError(.invalidArgument, "CALL frame payload is not a valid backoffice.wire.CallHeaders"))
            return
        }
        if draining {
            sendStatus(id, RPCError(.unavailable, "the server is shutting down and accepts no new calls"))
            return
        }
        guard calls.count < connection.limits.maxConcurrentCalls else {
            sendStatus(
                id,
                RPCError(
                    .resourceExhausted,
                    "too many concurrent calls on this connection (limit \(connection.limits.maxConcurrentCalls))"))
            return
        }
        guard let route = route(for: headers.method) else {
            let error =
                headers.method.isEmpty
                ? RPCError(.invalidArgument, "CALL frame names no method")
                : RPCError(.unimplemented, "unknown method \(headers.method)")
            sendStatus(id, error, method: headers.method)
            return
        }
        guard headers.timeoutMicros >= 0 else {
            sendStatus(
                id, RPCError(.invalidArgument, "negative timeout_micros \(headers.timeoutMicros)"), method: headers.method,
                listed: route.listedMethod)
            return
        }
        let timeout = headers.timeoutMicros > 0 ? Duration.microseconds(headers.timeoutMicros) : nil
        let call: ServerCall
        var streamsRequests = false
        if case .relayUnary = route.handler.body {
            // No context: a proxy relaying the call reads its fields from the call itself.
            call = RelayedCall(id: id, route: route, metadata: headers.metadata, timeout: timeout, server: self)
        } else {
            let context = ServerContext(
                method: route.method, metadata: headers.metadata,
                deadline: timeout.map { ContinuousClock.now.advanced(by: $0) }, peer: connection.peerDescription, callID: id)
            let handled = HandledCall(id: id, route: route, context: context, timeout: timeout)
            if route.method.kind == .clientStreaming {
                handled.requests = InboundQueue { [weak self, loop] size in
                    guard let connection = self else { return }
                    loop.execute { connection.connection.releaseInbound(size) }
                }
                streamsRequests = true
            }
            call = handled
        }
        calls[id] = call
        if let deadline = call.deadline {
            // Captured strongly: the timer is stopped when the connection closes.
            deadlines.cover(deadline, on: loop) { [self] in sweepDeadlines() }
        }
        // A client-streaming handler starts at once, and takes its requests as they come.
        if streamsRequests { startHandler(unsafeDowncast(call, to: HandledCall.self)) }
    }

    private func receiveMessage(_ id: UInt32, _ payload: UnsafeRawBufferPointer, last: Bool) {
        guard let call = calls[id] else {
            // A call that already ended (cancelled, failed early, deadline) may still get messages
            // the client sent before it knew; a call id never opened is a protocol error.
            if id > lastCallID { violation(.invalidArgument, "MESSAGE frame for call \(id), which was never opened") }
            return
        }
        if let relayed = call.relayed {
            guard !relayed.started, relayed.receive(payload) else {
                fail(call, RPCError(.invalidArgument, "\(call.method.fullName) takes exactly one request message"))
                return
            }
            if last { startRelayed(relayed) }
            return
        }
        let handled = unsafeDowncast(call, to: HandledCall.self)
        let request: any ProtoMessage
        do {
            request = try handled.handler.decodeRequest(payload)
        } catch {
            fail(call, RPCError(.invalidArgument, "request body is not a valid \(call.method.requestType.protoName)"))
            return
        }
        if let queue = handled.requests {
            connection.enqueue(request, size: payload.count, into: queue)
            if last { queue.finish() }
            return
        }
        guard handled.request == nil, !handled.started else {
            fail(call, RPCError(.invalidArgument, "\(call.method.fullName) takes exactly one request message"))
            return
        }
        handled.request = request
        if last { startHandler(handled) }
    }

    private func receiveHalfClose(_ id: UInt32) {
        guard let call = calls[id] else {
            if id > lastCallID { violation(.invalidArgument, "HALF_CLOSE frame for call \(id), which was never opened") }
            return
        }
        if let relayed = call.relayed {
            guard !relayed.started else { return }
            if relayed.hasRequest {
                startRelayed(relayed)
            } else {
                fail(call, Self.noRequest(call))
            }
            return
        }
        let handled = unsafeDowncast(call, to: HandledCall.self)
        if let queue = handled.requests {
            queue.finish()
        } else if !handled.started {
            if handled.request != nil {
                startHandler(handled)
            } else {
                fail(call, Self.noRequest(call))
            }
        }
    }

    /// A unary or server-streaming call half-closed without its request.
    private static func noRequest(_ call: ServerCall) -> RPCError {
        RPCError(.invalidArgument, "\(call.method.fullName) needs a request message")
    }

    // MARK: Running handlers

    /// Runs the interceptors that apply to a call and decide at once (`interceptImmediately`), on
    /// the loop, without a layer of the handler's task each: the context they admitted and the
    /// interceptors left, or `nil` when one refused the call (it has ended).
    private func interceptImmediately(
        _ call: ServerCall, _ context: ServerContext
    ) -> (context: ServerContext, remaining: ArraySlice<any ServerInterceptor>)? {
        var admitted = context
        var remaining = call.route.interceptors
        do {
            while let first = remaining.first, let next = try first.interceptImmediately(admitted) {
                admitted = next
                remaining = remaining.dropFirst()
            }
        } catch {
            end(call, RPCError(converting: error), cause: error is RPCError ? nil : error)
            return nil
        }
        return (admitted, remaining)
    }

    /// Hands a relayed call, its request in, to its handler on the loop: at once without
    /// interceptors (no context is made for it), otherwise after them (`startHandler`'s task, when
    /// one needs `intercept`).
    private func startRelayed(_ call: RelayedCall) {
        call.started = true
        guard case .relayUnary(let handle) = call.route.handler.body else { return }
        guard !call.route.interceptors.isEmpty else {
            handle(call)
            return
        }
        guard let (context, interceptors) = interceptImmediately(call, call.context) else { return }
        call.context = context
        guard !interceptors.isEmpty else {
            handle(call)
            return
        }
        // After the interceptors, the relay starts on the loop; the task ends with the call.
        call.interceptorTask = runTask(for: call, context, interceptors) { [self, loop] _ in
            try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    guard self.calls[call.id] === call, !call.isEnded else {
                        continuation.resume(throwing: RPCError(.cancelled, "the call has ended"))
                        return
                    }
                    call.whenEnded = { continuation.resume(returning: nil) }
                    handle(call)
                }
            }
        }
    }

    private func startHandler(_ call: HandledCall) {
        call.started = true
        guard let (context, interceptors) = interceptImmediately(call, call.context) else {
            call.request = nil
            return
        }
        let body: @Sendable (ServerContext) async throws -> (any ProtoMessage)?
        switch call.handler.body {
        case .relayUnary:
            preconditionFailure("relayed calls are RelayedCall")
        case .unary(let handle):
            let request = call.request!
            body = { context in try await handle(request, context) }
        case .serverStreaming(let handle):
            let request = call.request!
            let sink = StreamSink(connection: self, callID: call.id)
            body = { context in
                try await handle(request, sink, context)
                return nil
            }
        case .clientStreaming(let handle):
            let requests = call.requests!
            body = { context in try await handle(requests, context) }
        }
        call.request = nil
        call.task = runTask(for: call, context, interceptors, body)
    }

    /// Runs `body` inside `interceptors` in a task that prefers the loop, then ends the call with
    /// its outcome. Started on the loop's thread right here, not queued for a later turn: a
    /// handler that answers without suspending (most do) is done, its response written, before
    /// this returns.
    @discardableResult
    private func runTask(
        for call: ServerCall, _ context: ServerContext, _ interceptors: ArraySlice<any ServerInterceptor>,
        _ body: @escaping @Sendable (ServerContext) async throws -> (any ProtoMessage)?
    ) -> Task<Void, Never> {
        let id = call.id
        return Task.immediate(executorPreference: loop) { [self] in
            let outcome: Result<(any ProtoMessage)?, any Error>
            do {
                let response = try await ServerContext.$current.withValue(context) {
                    try await Self.intercept(interceptors, context: context, body: body)
                }
                outcome = .success(response)
            } catch {
                outcome = .failure(error)
            }
            await onLoop { self.handlerFinished(id, outcome) }
        }
    }

    // A relayed call is in `calls` exactly while it has not ended: it is ended (`claimEnd`) as it
    // is taken out, on the loop. So the relay's steps below ask the call, not the table.

    /// Writes a relayed call's response ahead of its STATUS, unless the call ended. On the loop.
    func writeRelayedResponse(_ relayed: RelayedCall, _ response: UnsafeRawBufferPointer) {
        guard !relayed.isEnded else { return }
        connection.writeFrame(.message, callID: relayed.id) { $0.append(contentsOf: response) }
    }

    /// Ends a relayed call as its proxy says, unless it already ended. On the loop.
    func endRelayed(_ call: RelayedCall, _ answer: RelayedAnswer) {
        guard call.claimEnd() else { return }
        switch answer {
        case .respond(let response):
            connection.writeFrame(.message, callID: call.id) { $0.append(contentsOf: response) }
            end(call, nil, cause: nil)
        case .fail(let error, let cause):
            end(call, error, cause: cause)
        case .passOn(let response, let status, let code, let message):
            if let response { connection.writeFrame(.message, callID: call.id) { $0.append(contentsOf: response) } }
            end(call, code: code, message: message, cause: nil) {
                connection.writeFrame(.status, callID: call.id) { $0.append(contentsOf: status) }
            }
        }
    }

    /// Makes a relayed call end within `timeout` from now (the proxy's own deadline for it),
    /// if its client gave it longer or no deadline at all. On the loop, where "now" is when the
    /// loop woke up for its current pass: a deadline that much earlier, never later.
    func limitDeadline(of call: RelayedCall, to timeout: Duration) {
        let deadline = loop.wokeAt.advanced(by: timeout)
        guard !call.isEnded, call.deadline.map({ deadline < $0 }) ?? true else { return }
        call.deadline = deadline
        call.timeout = timeout
        deadlines.cover(deadline, on: loop) { [self] in sweepDeadlines() }
    }

    /// Runs `body` inside the interceptors, first one outermost.
    private static func intercept(
        _ interceptors: ArraySlice<any ServerInterceptor>, context: ServerContext,
        body: @Sendable (ServerContext) async throws -> (any ProtoMessage)?
    ) async throws -> (any ProtoMessage)? {
        guard let first = interceptors.first else { return try await body(context) }
        var response: (any ProtoMessage)?
        try await first.intercept(context: context) { context in
            response = try await intercept(interceptors.dropFirst(), context: context, body: body)
        }
        return response
    }

    private func handlerFinished(_ id: UInt32, _ outcome: Result<(any ProtoMessage)?, any Error>) {
        guard let call = calls[id] else { return }  // already ended: deadline, cancel, disconnect
        switch outcome {
        case .success(let response):
            if let response {
                connection.writeFrame(.message, callID: id, message: response)
            } else if call.method.kind != .serverStreaming {
                end(call, RPCError(.internalError, "the handler returned no response"), cause: nil)
                return
            }
            end(call, nil, cause: nil)
        case .failure(let error):
            let rpcError = RPCError(converting: error)
            end(call, rpcError, cause: error is RPCError ? nil : error)
        }
    }

    /// Runs `body` on the loop: at once when already there, otherwise after a hop.
    private func onLoop(_ body: () -> Void) async {
        if loop.inEventLoop {
            body()
        } else {
            await withTaskExecutorPreference(loop) { body() }
        }
    }

    // MARK: Ending calls

    /// Ends a call from the connection's side: stops its handler and sends `error`.
    private func fail(_ call: ServerCall, _ error: RPCError) {
        call.stop(error)
        end(call, error, cause: nil)
    }

    /// Ends the calls whose deadline passed (DEADLINE_EXCEEDED).
    private func sweepDeadlines() {
        deadlines.sweep(
            calls.values, deadline: \.deadline,
            expire: { call in fail(call, RPCError(.deadlineExceeded, "deadline of \(call.timeout) exceeded")) }, on: loop
        ) { [self] in sweepDeadlines() }
    }

    private func cancelCall(_ id: UInt32) {
        guard let call = calls.removeValue(forKey: id) else { return }
        call.stop(RPCError(.cancelled, "the client cancelled the call"))
        report(call, code: .cancelled, message: "cancelled by the client", cause: nil)
        callRemoved()
    }

    /// Sends the call's STATUS (nil for OK) and forgets it.
    private func end(_ call: ServerCall, _ error: RPCError?, cause: (any Error)?) {
        end(call, code: error?.code ?? .ok, message: error?.message ?? "", cause: cause) { sendStatus(call.id, error) }
    }

    /// Forgets a call (its queue of requests, its deadline), has `writeStatus` write its STATUS,
    /// and tells the observers how it ended.
    private func end(_ call: ServerCall, code: StatusCode, message: String, cause: (any Error)?, writeStatus: () -> Void) {
        calls.removeValue(forKey: call.id)
        call.didEnd()
        writeStatus()
        report(call, code: code, message: message, cause: cause)
        callRemoved()
    }

    private func report(_ call: ServerCall, code: StatusCode, message: String, cause: (any Error)?) {
        guard !router.observers.isEmpty else { return }
        let summary = CallSummary(
            call, code: code, message: message, durationNanoseconds: MonotonicTime.now().nanoseconds(since: call.startedAt),
            cause: cause)
        for observer in router.observers { observer.callDidEnd(summary) }
    }

    /// Answers a call that never got a handler; `method` (as the CALL named it; `listed`, its
    /// descriptor, when the server lists it) reports it to the observers.
    private func sendStatus(_ id: UInt32, _ error: RPCError?, method: String? = nil, listed: MethodDescriptor? = nil) {
        guard let error else {
            connection.writeFrame(.status, callID: id)  // OK encodes to an empty payload
            return
        }
        var status = Wire.Status()
        status.code = error.code.rawValue
        status.message = error.message
        status.details = error.fieldViolations.map { violation in
            var detail = Wire.FieldViolation()
            detail.field = violation.field
            detail.description = violation.description
            return detail
        }
        status.metadata = error.metadata.entries
        connection.writeFrame(.status, callID: id, message: status)
        if let method, !router.observers.isEmpty {
            let summary = CallSummary(
                refused: method, listedMethod: listed, peer: connection.peerDescription, code: error.code, message: error.message)
            for observer in router.observers { observer.callDidEnd(summary) }
        }
    }

    private func callRemoved() {
        connection.noteActivity()
        if draining && calls.isEmpty { connection.beginClose(reason: RPCError(.unavailable, "server shut down")) }
    }

    // MARK: Streaming responses

    /// Sends one response of a server-streaming call; waits while the client reads slowly.
    fileprivate func writeStreamMessage(_ id: UInt32, _ message: any ProtoMessage) async throws {
        guard loop.inEventLoop else {
            try await withTaskExecutorPreference(loop) { try await self.writeStreamMessage(id, message) }
            return
        }
        while calls[id] != nil && !connection.isWritable && connection.isOpen {
            await withCheckedContinuation { writableWaiters.append($0) }
        }
        guard calls[id] != nil, connection.isOpen else {
            throw RPCError(.cancelled, "the call has ended")
        }
        connection.writeFrame(.message, callID: id, message: message)
    }

    func connectionDidBecomeWritable(_ connection: FramedConnection) {
        resumeWriters()
    }

    private func resumeWriters() {
        guard !writableWaiters.isEmpty else { return }
        let waiters = writableWaiters
        writableWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Connection life cycle

    func connectionIsIdle(_ connection: FramedConnection) {
        var goAway = Wire.GoAway()
        goAway.lastCallId = lastCallID
        goAway.code = StatusCode.ok.rawValue
        goAway.message = "idle timeout"
        connection.writeFrame(.goAway, callID: 0, message: goAway)
        connection.beginClose(reason: RPCError(.unavailable, "idle timeout"))
    }

    /// Graceful shutdown: announces it, lets calls in flight finish, refuses new ones.
    func beginDrain(message: String = "the server is shutting down") {
        guard !draining, connection.isOpen else { return }
        draining = true
        if !connection.isAwaitingPreface { announceDrain(message: message) }
    }

    private func announceDrain(message: String) {
        var goAway = Wire.GoAway()
        goAway.lastCallId = lastCallID
        goAway.code = StatusCode.ok.rawValue
        goAway.message = message
        connection.writeFrame(.goAway, callID: 0, message: goAway)
        if calls.isEmpty { connection.beginClose(reason: RPCError(.unavailable, "server shut down")) }
    }

    /// End of the grace period: ends the calls still running with UNAVAILABLE and closes.
    func forceClose() {
        for call in calls.values {
            fail(call, RPCError(.unavailable, "the server shut down before the call finished"))
        }
        connection.beginClose(reason: RPCError(.unavailable, "server shut down"))
    }

    func connectionDidClose(_ connection: FramedConnection, reason: RPCError) {
        deadlines.stop(on: loop)
        let open = calls.values
        calls.removeAll()
        for call in open {
            call.stop(RPCError(.cancelled, "the client disconnected"))
            report(call, code: .cancelled, message: "client disconnected: \(reason.message)", cause: nil)
        }
        resumeWriters()
        onClose?()
        onClose = nil
    }
}

/// The sink behind a server-streaming handler's `ResponseWriter`.
private struct StreamSink: OutboundMessageSink {
    let connection: ServerConnection
    let callID: UInt32

    func write(_ message: any ProtoMessage) async throws {
        try await connection.writeStreamMessage(callID, message)
    }
}

/// What every connection of a server shares: the method table, interceptors and observers.
struct ServerRouter: Sendable {
    /// A method's handler with the interceptors that apply to it, in order.
    /// A class: every call takes its route, and a reference is one retain where a copy of the
    /// handler and the interceptors would be several.
    final class Route: Sendable {
        let handler: MethodHandler
        /// `handler.method`, kept apart: reading it from the handler would copy the handler.
        let method: MethodDescriptor
        let interceptors: ArraySlice<any ServerInterceptor>
        /// A method the server lists, not one a fallback answers for a name a client made up.
        let isListed: Bool
        /// The method, when the server lists it (`CallSummary.listedMethod`).
        var listedMethod: MethodDescriptor? { isListed ? method : nil }

        init(handler: MethodHandler, interceptors: ArraySlice<any ServerInterceptor>, isListed: Bool) {
            self.handler = handler
            method = handler.method
            self.interceptors = interceptors
            self.isListed = isListed
        }
    }

    /// The listed methods by full name, their interceptors worked out once.
    let routes: [String: Route]
    /// Asked, in order, for methods no service lists.
    let fallbacks: [any UnknownMethodService]
    let interceptors: [any ServerInterceptor]
    let observers: [any ServerCallObserver]

    init(
        handlers: [String: MethodHandler], fallbacks: [any UnknownMethodService], interceptors: [any ServerInterceptor],
        observers: [any ServerCallObserver]
    ) {
        self.fallbacks = fallbacks
        self.interceptors = interceptors
        self.observers = observers
        routes = handlers.mapValues {
            Route(handler: $0, interceptors: Self.interceptors(interceptors, for: $0.method), isListed: true)
        }
    }

    /// The route of `method`: a listed one, else the first fallback's handler.
    func route(for method: String) -> Route? {
        if let route = routes[method] { return route }
        guard !method.isEmpty else { return nil }
        for fallback in fallbacks {
            if let handler = fallback.handler(forUnknownMethod: method) {
                return Route(handler: handler, interceptors: Self.interceptors(interceptors, for: handler.method), isListed: false)
            }
        }
        return nil
    }

    /// The interceptors that apply to `method`, in order; no copy when all of them do.
    private static func interceptors(
        _ interceptors: [any ServerInterceptor], for method: MethodDescriptor
    ) -> ArraySlice<any ServerInterceptor> {
        if interceptors.allSatisfy({ $0.applies(to: method) }) { return interceptors[...] }
        return interceptors.filter { $0.applies(to: method) }[...]
    }
}
