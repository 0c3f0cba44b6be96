import ProtoRuntime

/// One call a client has in flight, on its connection's loop.
final class ClientCall: @unchecked Sendable {
    // @unchecked Sendable: touched only on its connection's loop; other threads just hold it.
    let id: UInt32
    let method: MethodDescriptor
    /// The unary response, kept until the STATUS confirms it.
    var response: (any ProtoMessage)?
    /// Who waits for the single response (unary and client-streaming calls).
    var waiter: CheckedContinuation<any ProtoMessage, any Error>?
    /// How the call ended, when it ended before anyone waited.
    var outcome: Result<any ProtoMessage, RPCError>?
    /// Where responses of a server-streaming call go.
    var stream: InboundQueue?
    /// The server call whose answer this one is (`RPCClient.relay`): its response and STATUS are
    /// passed on as they came.
    var relay: RelayedCall?
    /// Who learns how the relayed attempt ended.
    var relayCompletion: (@Sendable (RelayAttempt) -> Void)?
    /// A relayed call's response, kept until the STATUS confirms it when the relayed call lives
    /// on another loop.
    var rawResponse: [UInt8]?
    /// Whether the relayed call's response went to its client already (on the same loop it goes
    /// at once, straight from the read buffer): from then on the attempt can only end the call.
    var responsePassedOn = false
    /// When the call's deadline passes, if it has one (its transport's `deadlines` ends it then),
    /// and how long it was given.
    var deadline: MonotonicTime?
    var timeout = Duration.zero

    init(id: UInt32, method: MethodDescriptor) {
        self.id = id
        self.method = method
    }

    /// Delivers the call's outcome to whoever waits for it, now or later.
    func complete(_ result: Result<any ProtoMessage, RPCError>) {
        if let stream {
            switch result {
            case .success: stream.finish()
            case .failure(let error): stream.finish(.failure(error))
            }
            return
        }
        if let waiter {
            self.waiter = nil
            waiter.resume(with: result.mapError { $0 as any Error })
        } else if let relayCompletion {
            self.relayCompletion = nil
            let relayed = relay
            relay = nil
            if case .failure(let error) = result {
                RelayedCall.attemptFailed(error, responsePassedOn: responsePassedOn, call: relayed, completion: relayCompletion)
            }
        } else if outcome == nil {
            outcome = result
        }
    }
}

/// A client's end of one TCP connection: assigns call ids, writes calls, matches responses and
/// statuses to them, honours GOAWAY.
final class ClientTransport: FramedConnectionDelegate, @unchecked Sendable {
    // @unchecked Sendable: confined to its connection's loop.

    let connection: FramedConnection
    private(set) var calls: [UInt32: ClientCall] = [:]
    /// The attempts of relayed calls on this loop (`openRelay`), kept as the relayed calls
    /// themselves: no client call is made for them. (Touched on every relayed call, on the loop
    /// alone, never while another access to it is under way: not checked at run time.)
    @exclusivity(unchecked) private var relays: [UInt32: RelayedCall] = [:]
    @exclusivity(unchecked) private var nextCallID: UInt32 = 1
    private(set) var receivedPreface = false
    /// Set once the server sent GOAWAY or the connection failed: no new calls go here.
    private(set) var acceptsNewCalls = true
    private var goAwayError: RPCError?
    private var writableWaiters: [CheckedContinuation<Void, Never>] = []
    /// The one timer behind all the calls' deadlines.
    private var deadlines = DeadlineSweep()
    /// Told when the server's preface arrived, when the transport stopped taking new calls, and
    /// when it closed (`prefaceSeen` tells a failed connect from a lost connection).
    var onReady: (() -> Void)?
    var onRetire: ((ClientTransport) -> Void)?
    var onClose: ((ClientTransport, RPCError, _ prefaceSeen: Bool) -> Void)?
    /// Told each time a call ends, so calls waiting for room can go.
    var onCallEnded: (() -> Void)?

    init(connection: FramedConnection) {
        self.connection = connection
        connection.delegate = self
    }

    var loop: EventLoop { connection.loop }
    var hasCallsInFlight: Bool { !calls.isEmpty || !relays.isEmpty }
    /// Calls in flight, relayed ones included.
    var callsInFlight: Int { calls.count + relays.count }

    /// Opens a call: writes its CALL frame (the payload `writeHeaders` appends) and registers it.
    func open(_ method: MethodDescriptor, timeout: Duration?, writeHeaders: (inout [UInt8]) -> Void) -> ClientCall {
        let id = writeCall(writeHeaders)
        let call = ClientCall(id: id, method: method)
        calls[id] = call
        if let timeout {
            let deadline = MonotonicTime.now().advanced(by: timeout)
            call.timeout = timeout
            call.deadline = deadline
            // A strong capture (a weak one costs a side table): the timer is stopped when the
            // connection closes.
            deadlines.cover(deadline, on: loop) { [self] in sweepDeadlines() }
        }
        return call
    }

    /// Opens the forwarded attempt of a relayed call on the relayed call's own loop, kept as the
    /// relayed call itself: writes its CALL frame (the payload `writeHeaders` appends) and its
    /// request. Its deadline is the relayed call's (`ServerConnection.limitDeadline`).
    func openRelay(_ call: RelayedCall, writeHeaders: (inout [UInt8]) -> Void) -> UInt32 {
        let id = writeCall(writeHeaders)
        relays[id] = call
        call.responsePassedOn = false
        connection.writeFrame(.message, flags: FrameFlags.endStream, callID: id) { $0.append(contentsOf: call.request) }
        return id
    }

    /// Takes the next call id and writes its CALL frame.
    private func writeCall(_ writeHeaders: (inout [UInt8]) -> Void) -> UInt32 {
        let id = nextCallID
        nextCallID &+= 1
        if nextCallID == UInt32.max { retire() }  // ids must increase; a fresh connection starts over
        connection.writeFrame(.call, callID: id, payload: writeHeaders)
        connection.noteActivity()
        return id
    }

    /// Gives up on the calls whose deadline passed (DEADLINE_EXCEEDED).
    private func sweepDeadlines() {
        deadlines.sweep(
            calls.values, deadline: \.deadline,
            expire: { call in abandon(call.id, RPCError(.deadlineExceeded, "deadline of \(call.timeout) exceeded")) }, on: loop
        ) { [self] in sweepDeadlines() }
    }

    func sendMessage(_ call: ClientCall, _ message: any ProtoMessage, last: Bool) {
        guard calls[call.id] != nil else { return }
        connection.writeFrame(.message, flags: last ? FrameFlags.endStream : 0, callID: call.id, message: message)
    }

    /// Sends a relayed call's one request, its encoding as the client sent it.
    func sendRelayedRequest(_ call: ClientCall, _ request: [UInt8]) {
        guard calls[call.id] != nil else { return }
        connection.writeFrame(.message, flags: FrameFlags.endStream, callID: call.id) { $0.append(contentsOf: request) }
    }

    func sendHalfClose(_ call: ClientCall) {
        guard calls[call.id] != nil else { return }
        connection.writeFrame(.halfClose, callID: call.id)
    }

    /// Gives up on a call (deadline, cancellation): tells the server and fails the caller.
    func abandon(_ id: UInt32, _ error: RPCError) {
        if let relayed = removeRelay(id) {
            connection.writeFrame(.cancel, callID: id)
            relayed.attemptFailed(error)
            return
        }
        guard let call = remove(id) else { return }
        connection.writeFrame(.cancel, callID: id)
        call.complete(.failure(error))
        call.stream?.discard()
    }

    private func remove(_ id: UInt32) -> ClientCall? {
        guard let call = calls.removeValue(forKey: id) else { return nil }
        callRemoved()
        return call
    }

    private func removeRelay(_ id: UInt32) -> RelayedCall? {
        guard !relays.isEmpty, let call = relays.removeValue(forKey: id) else { return nil }
        callRemoved()
        return call
    }

    private func callRemoved() {
        connection.noteActivity()
        if !acceptsNewCalls && !hasCallsInFlight {
            connection.beginClose(reason: RPCError(.unavailable, "connection retired"))
        }
        onCallEnded?()
    }

    /// Waits until the connection can take more bytes (a slow server); false once it closed.
    func waitUntilWritable() async -> Bool {
        while connection.isOpen && !connection.isWritable {
            await withCheckedContinuation { writableWaiters.append($0) }
        }
        return connection.isOpen
    }

    // MARK: Frames from the server

    func connectionDidReceivePreface(_ connection: FramedConnection) {
        receivedPreface = true
        onReady?()
    }

    func connection(_ connection: FramedConnection, didReceive header: FrameHeader, payload: UnsafeRawBufferPointer) {
        switch FrameType(rawValue: header.type) {
        case .message?: receiveMessage(header.callID, payload)
        case .status?: receiveStatus(header.callID, payload)
        case .goAway?: receiveGoAway(payload)
        default:
            connection.protocolViolation(.invalidArgument, "unexpected frame type 0x\(String(header.type, radix: 16)) from a server")
        }
    }

    private func receiveMessage(_ id: UInt32, _ payload: UnsafeRawBufferPointer) {
        if !relays.isEmpty, let relayed = relays[id] {
            guard !relayed.responsePassedOn else {
                abandon(id, RPCError(.internalError, "the server sent more than one response to \(relayed.method)"))
                return
            }
            relayed.responsePassedOn = true
            relayed.passOnResponse(payload)
            return
        }
        guard let call = calls[id] else { return }  // abandoned calls may still get answers
        if let relayed = call.relay {
            guard call.rawResponse == nil, !call.responsePassedOn else {
                abandon(id, RPCError(.internalError, "the server sent more than one response to \(call.method)"))
                return
            }
            if relayed.loop.inEventLoop {
                call.responsePassedOn = true
                relayed.passOnResponse(payload)
            } else {
                call.rawResponse = Array(payload)
            }
            return
        }
        let message: any ProtoMessage
        do {
            message = try call.method.responseType.init(serializedBytes: payload)
        } catch {
            abandon(id, RPCError(.internalError, "the server's response is not a valid \(call.method.responseType.protoName)"))
            return
        }
        if let stream = call.stream {
            connection.enqueue(message, size: payload.count, into: stream)
        } else if call.response == nil {
            call.response = message
        } else {
            abandon(id, RPCError(.internalError, "the server sent more than one response to \(call.method)"))
        }
    }

    private func receiveStatus(_ id: UInt32, _ payload: UnsafeRawBufferPointer) {
        if let relayed = removeRelay(id) {
            guard let status = Self.decodeStatus(payload) else {
                relayed.attemptFailed(Self.undecodableStatus)
                return
            }
            relayed.attemptAnswered(status: payload, status, code: StatusCode(rawValue: status.code))
            return
        }
        guard let call = remove(id) else { return }
        guard let status = Self.decodeStatus(payload) else {
            call.complete(.failure(Self.undecodableStatus))
            return
        }
        let code = StatusCode(rawValue: status.code)
        // A relayed call's answer goes on as it came (an error without a response kept back).
        // Unless its response went on already, UNAVAILABLE and OK without a response fail the
        // attempt below instead, like any call's: the proxy may try elsewhere, or fail the call.
        if let relay = call.relay, let completion = call.relayCompletion,
            call.responsePassedOn || (code != .unavailable && (code != .ok || call.rawResponse != nil))
        {
            call.relay = nil
            call.relayCompletion = nil
            relay.passOn(response: code == .ok ? call.rawResponse : nil, status: payload, code: code, message: status.message)
            completion(.answered(code))
            return
        }
        guard code == .ok else {
            call.complete(.failure(RPCError(status: status, code: code)))
            return
        }
        if call.stream != nil {
            call.complete(.success(Wire.Status()))
        } else if let response = call.response {
            call.complete(.success(response))
        } else {
            call.complete(.failure(.okWithoutResponse(call.method)))
        }
    }

    /// A STATUS frame's payload (OK when empty); `nil` when it is not a valid `Wire.Status`.
    private static func decodeStatus(_ payload: UnsafeRawBufferPointer) -> Wire.Status? {
        payload.isEmpty ? Wire.Status() : try? Wire.Status(serializedBytes: payload)
    }

    private static var undecodableStatus: RPCError { RPCError(.internalError, "the server sent an undecodable STATUS frame") }

    private func receiveGoAway(_ payload: UnsafeRawBufferPointer) {
        let goAway = (try? Wire.GoAway(serializedBytes: payload)) ?? Wire.GoAway()
        let code = StatusCode(rawValue: goAway.code)
        let reason = goAway.message.isEmpty ? "the server is going away" : goAway.message
        if code != .ok { goAwayError = RPCError(code, "\(connection.peer): \(reason)") }
        retire()
        let unprocessed = RPCError(.unavailable, "\(connection.peer) did not process the call: \(reason)")
        for id in calls.keys where id > goAway.lastCallId {
            remove(id)?.complete(.failure(unprocessed))
        }
        for id in relays.keys where id > goAway.lastCallId {
            removeRelay(id)?.attemptFailed(unprocessed)
        }
        if !hasCallsInFlight { connection.beginClose(reason: RPCError(.unavailable, reason)) }
    }

    /// Stops taking new calls; the ones in flight finish.
    func retire() {
        guard acceptsNewCalls else { return }
        acceptsNewCalls = false
        onRetire?(self)
    }

    func connectionDidBecomeWritable(_ connection: FramedConnection) {
        let waiters = writableWaiters
        writableWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    func connectionIsIdle(_ connection: FramedConnection) {
        retire()
        connection.beginClose(reason: RPCError(.unavailable, "idle"))
    }

    func connectionDidClose(_ connection: FramedConnection, reason: RPCError) {
        acceptsNewCalls = false
        deadlines.stop(on: loop)
        let error = goAwayError ?? reason
        let open = calls
        let relayed = relays
        calls.removeAll()
        relays.removeAll()
        for call in open.values { call.complete(.failure(error)) }
        for call in relayed.values { call.attemptFailed(error) }
        connectionDidBecomeWritable(connection)
        onClose?(self, error, receivedPreface)
        onClose = nil
        onRetire = nil
        onReady = nil
        onCallEnded = nil
    }
}
