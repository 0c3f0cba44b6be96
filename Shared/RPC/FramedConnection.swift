import CSystem
import Glibc
import ProtoRuntime

/// What a framed connection reports to the protocol logic above it (server or client side).
protocol FramedConnectionDelegate: AnyObject {
    /// A complete frame other than PING; `payload` is valid during the call only.
    func connection(_ connection: FramedConnection, didReceive header: FrameHeader, payload: UnsafeRawBufferPointer)
    /// The peer's preface was valid (clients learn the server accepted them).
    func connectionDidReceivePreface(_ connection: FramedConnection)
    /// Queued output fell back under the limit: streaming writers may go on.
    func connectionDidBecomeWritable(_ connection: FramedConnection)
    /// No call is in flight (the idle timer applies).
    var hasCallsInFlight: Bool { get }
    /// The idle timeout passed with no call in flight.
    func connectionIsIdle(_ connection: FramedConnection)
    /// The connection is closed; `reason` says why when it was not a clean close.
    func connectionDidClose(_ connection: FramedConnection, reason: RPCError)
}

/// One TCP connection speaking the framed protocol: reads and parses frames, queues and flushes
/// outgoing frames, answers pings, watches keepalive, idleness and slow readers.
///
/// Everything here runs on the connection's event loop; the protocol logic lives in the delegate.
final class FramedConnection: EventLoopIOHandler, EventLoopFlushable, @unchecked Sendable {
    // @unchecked Sendable: all state is confined to `loop`; other threads only pass the object
    // to `loop.execute`.

    /// Which side of the connection this is: who sends the preface first.
    enum Role { case server, client }

    private enum State { case awaitingPreface, open, closing, closed }

    let loop: EventLoop
    let fd: Int32
    let peer: SocketAddress
    /// `peer` as text (`host:port`), made once: every call's context names it.
    private(set) lazy var peerDescription = peer.description
    let role: Role
    let limits: ConnectionLimits
    /// Held strongly until the connection closes (no weak reference to load for every frame).
    var delegate: (any FramedConnectionDelegate)?

    private var state = State.awaitingPreface
    private var inbound: InboundBuffer
    private static let readChunk = 64 * 1024
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var flushScheduled = false
    private var watchingWritable = false
    private var readPaused = false
    private var pausedForInbound = false
    private var queuedInboundBytes = 0
    private var parsing = false
    private var closeReason: RPCError?

    private var lastReadAt = MonotonicTime.now()
    private var lastActiveAt = MonotonicTime.now()
    private var pingSentAt: MonotonicTime?
    private var stalledSince: MonotonicTime?
    private var housekeepingTimer: TimerID?

    init(fd: Int32, peer: SocketAddress, role: Role, loop: EventLoop, limits: ConnectionLimits) {
        self.fd = fd
        self.peer = peer
        self.role = role
        self.loop = loop
        self.limits = limits
        inbound = InboundBuffer(capacity: Self.readChunk)
        outbound.reserveCapacity(Self.readChunk)
    }

    /// Starts reading; a client sends its preface at once. Call on the loop.
    func start() throws(IOError) {
        try loop.register(fd, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue, handler: self)
        if role == .client {
            outbound.append(contentsOf: Preface.bytes)
            markDirty()
        }
        scheduleHousekeeping()
    }

    var isOpen: Bool { state == .open || state == .awaitingPreface }
    /// Still waiting for the peer's preface: nothing but a preface may be written yet.
    var isAwaitingPreface: Bool { state == .awaitingPreface }
    var queuedOutboundBytes: Int { outbound.count - outboundOffset }
    var isWritable: Bool { queuedOutboundBytes < limits.maxBufferedBytes }

    // MARK: Writing

    /// Appends one frame to the outgoing queue; it is written at the end of this loop iteration.
    @inline(__always)
    func writeFrame(_ type: FrameType, flags: UInt8 = 0, callID: UInt32, payload: (inout [UInt8]) -> Void = { _ in }) {
        guard state != .closed else { return }
        outbound.appendFrame(type: type, flags: flags, callID: callID, writePayload: payload)
        markDirty()
    }

    /// Appends a frame whose payload is a message.
    @inline(__always)
    func writeFrame(_ type: FrameType, flags: UInt8 = 0, callID: UInt32, message: some ProtoMessage) {
        writeFrame(type, flags: flags, callID: callID) { message.serialize(into: &$0) }
    }

    /// Appends raw bytes (the preface, an HTTP answer to an HTTP client).
    func writeRaw(_ bytes: [UInt8]) {
        outbound.append(contentsOf: bytes)
        markDirty()
    }

    private func markDirty() {
        if !flushScheduled && !watchingWritable {
            flushScheduled = true
            loop.scheduleFlush(self)
        }
    }

    func flushNow() {
        flushScheduled = false
        guard state != .closed, queuedOutboundBytes > 0 else { return }
        while queuedOutboundBytes > 0 {
            let result: IOResult<Int>
            do {
                result = try outbound.withUnsafeBytes { (raw) throws(IOError) in
                    try systemCall("write") { Glibc.write(fd, raw.baseAddress! + outboundOffset, raw.count - outboundOffset) }
                }
            } catch {
                close(reason: RPCError(.unavailable, "connection to \(peer) lost: \(error)", cause: error))
                return
            }
            switch result {
            case .done(let written):
                outboundOffset += written
            case .wouldBlock:
                watchWritable(true)
                noteStall()
                return
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 4 * Self.readChunk)
        outboundOffset = 0
        watchWritable(false)
        stalledSince = nil
        if state == .closing {
            Glibc.shutdown(fd, Int32(SHUT_WR))
            return
        }
        updateReadPausing()
        delegate?.connectionDidBecomeWritable(self)
    }

    private func noteStall() {
        if stalledSince == nil { stalledSince = MonotonicTime.now() }
        updateReadPausing()
    }

    private func watchWritable(_ watch: Bool) {
        guard watch != watchingWritable, state != .closed else { return }
        watchingWritable = watch
        updateInterest()
    }

    /// Hands a received message to a call's queue, counting its bytes against the limit of
    /// received bytes waiting for slow consumers.
    func enqueue(_ message: any ProtoMessage, size: Int, into queue: InboundQueue) {
        queuedInboundBytes += size
        if !queue.push(message, size: size) { queuedInboundBytes -= size }
        updateReadPausing()
    }

    /// Bytes that left a call's queue, consumed or dropped.
    func releaseInbound(_ size: Int) {
        queuedInboundBytes -= size
        updateReadPausing()
    }

    /// Stops reading new frames while the peer leaves too many bytes unread, or while consumers
    /// leave too many received messages waiting; resumes when both are back under the limit.
    func updateReadPausing() {
        pausedForInbound = queuedInboundBytes > limits.maxQueuedInboundBytes
        let pause = pausedForInbound || !isWritable
        guard pause != readPaused, state != .closed else { return }
        readPaused = pause
        updateInterest()
        // Frames already buffered when reading paused are parsed now; new bytes come with the
        // next readiness event.
        if !pause { parseFrames() }
    }

    private func updateInterest() {
        var events = EPOLLRDHUP.rawValue
        if !readPaused { events |= EPOLLIN.rawValue }
        if watchingWritable { events |= EPOLLOUT.rawValue }
        loop.modify(fd, events: events)
    }

    // MARK: Reading

    func handleEvents(_ events: UInt32) {
        if events & EPOLLOUT.rawValue != 0 { flushNow() }
        if events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
            || (events & EPOLLRDHUP.rawValue != 0 && readPaused && state != .closing)
        {
            // The peer is gone; with reading paused the hang-up would be reported forever.
            handleReadable()
            if state != .closed { close(reason: RPCError(.unavailable, "\(peer) closed the connection")) }
            return
        }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 {
            handleReadable()
        }
    }

    private func handleReadable() {
        guard state == .open || state == .awaitingPreface, !readPaused else {
            if state == .closing { drainWhileClosing() }
            return
        }
        inbound.reserveFree(Self.readChunk)
        let result: IOResult<Int>
        do {
            result = try inbound.read(from: fd)
        } catch {
            close(reason: RPCError(.unavailable, "connection to \(peer) lost: \(error)", cause: error))
            return
        }
        guard case .done(let count) = result else { return }
        if count == 0 {
            close(reason: RPCError(.unavailable, "\(peer) closed the connection"))
            return
        }
        lastReadAt = loop.wokeAt
        pingSentAt = nil
        parseFrames()
    }

    /// While closing, reads and drops whatever the peer still sends, until it closes too: closing a
    /// socket with unread input would reset the connection and could destroy our last frames
    /// (the GOAWAY that explains why) before the peer reads them.
    private func drainWhileClosing() {
        var scratch = [UInt8](repeating: 0, count: 4096)
        let count = scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { finishClose() }
    }

    private func parseFrames() {
        // A delegate callback may unpause reading, which parses again: the outer loop goes on.
        guard !parsing else { return }
        parsing = true
        defer { parsing = false }
        if state == .awaitingPreface {
            guard inbound.readableCount >= Preface.size else { return }
            let verdict = Preface.check(inbound.readable)
            inbound.consume(Preface.size)
            guard handlePreface(verdict) else { return }
        }
        while state == .open && !readPaused {
            switch inbound.nextFrame(maxPayload: limits.maxFrameSize) {
            case .incomplete(let needed):
                if needed > inbound.allocatedCapacity {
                    inbound.reserveFree(needed - inbound.readableCount)
                } else if inbound.readableCount == 0 {
                    inbound.shrink(to: Self.readChunk)
                }
                return
            case .tooLarge(let header):
                protocolViolation(
                    .resourceExhausted,
                    "frame of \(header.length) bytes exceeds the maximum frame size of \(limits.maxFrameSize) bytes")
                return
            case .frame(let header, let payload):
                dispatch(header, payload)
                inbound.consume(FrameHeader.size + Int(header.length))
            }
        }
    }

    private func handlePreface(_ verdict: Preface.Verdict) -> Bool {
        switch (role, verdict) {
        case (_, .valid):
            state = .open
            if role == .server { writeRaw(Preface.bytes) }
            delegate?.connectionDidReceivePreface(self)
            return true
        case (.server, .http):
            let body = "This port speaks the back office RPC protocol (docs/PROTOCOL.md), not HTTP.\n"
            writeRaw(
                Array(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                        .utf8))
            beginClose(reason: RPCError(.invalidArgument, "HTTP request from \(peer) refused"))
        case (.server, .unsupportedVersion(let version)):
            writeRaw(Preface.bytes)
            state = .open
            protocolViolation(.failedPrecondition, "unsupported protocol version \(version); this server speaks version \(Preface.version)")
        case (.server, .garbage):
            writeRaw(Preface.bytes)
            state = .open
            protocolViolation(.invalidArgument, "bad connection preface: expected \"BORPC\\r\\n\" and a version byte")
        case (.client, .unsupportedVersion(let version)):
            close(reason: RPCError(.unavailable, "\(peer) speaks protocol version \(version), not \(Preface.version)"))
        case (.client, _):
            close(reason: RPCError(.unavailable, "\(peer) is not a back office RPC server (bad preface)"))
        }
        return false
    }

    private func dispatch(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) {
        if header.type == FrameType.ping.rawValue {
            guard header.callID == 0, payload.count == 8 else {
                protocolViolation(.invalidArgument, "PING frames carry call id 0 and 8 bytes")
                return
            }
            if header.flags & FrameFlags.ack == 0 {
                writeFrame(.ping, flags: FrameFlags.ack, callID: 0) { $0.append(contentsOf: payload) }
            }
            return
        }
        if header.type != FrameType.goAway.rawValue { lastActiveAt = loop.wokeAt }
        delegate?.connection(self, didReceive: header, payload: payload)
    }

    /// Marks activity that postpones the idle timeout (a call started or ended).
    func noteActivity() { lastActiveAt = loop.wokeAt }

    // MARK: Closing

    /// Tells the peer why with a GOAWAY, stops reading frames, and closes once it is written.
    func protocolViolation(_ code: StatusCode, _ message: String, lastCallID: UInt32 = 0) {
        guard state == .open || state == .awaitingPreface else { return }
        var goAway = Wire.GoAway()
        goAway.lastCallId = lastCallID
        goAway.code = code.rawValue
        goAway.message = message
        writeFrame(.goAway, callID: 0, message: goAway)
        beginClose(reason: RPCError(code, message))
    }

    /// Closes gracefully: writes everything queued, shuts the sending side, and closes once the
    /// peer has closed too (or after a short grace when it does neither).
    func beginClose(reason: RPCError) {
        guard state != .closed && state != .closing else { return }
        state = .closing
        closeReason = reason
        if readPaused {
            readPaused = false
            updateInterest()
        }
        let grace = MonotonicTime.now().advanced(by: .seconds(2))
        loop.scheduleTimer(at: grace) { [self] in finishClose() }
        if queuedOutboundBytes == 0 { Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    private func finishClose() {
        close(reason: closeReason ?? RPCError(.unavailable, "connection closed"))
    }

    /// Closes at once; calls still in flight fail with `reason`.
    func close(reason: RPCError) {
        guard state != .closed else { return }
        state = .closed
        if let housekeepingTimer { loop.cancelTimer(housekeepingTimer) }
        loop.closeDescriptor(fd)
        outbound = []
        delegate?.connectionDidClose(self, reason: reason)
        delegate = nil  // the delegate holds the connection too
    }

    // MARK: Keepalive, idleness, stalled readers

    /// Whether the socket holds bytes not read yet.
    private var hasUnreadInput: Bool {
        var count: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &count) == 0 && count > 0
    }

    private func scheduleHousekeeping() {
        var period = limits.keepaliveInterval
        if let idle = limits.idleTimeout { period = min(period, idle) }
        period = max(.milliseconds(20), min(period / 2, .seconds(1)))
        // Captured strongly: the timer is cancelled when the connection closes.
        housekeepingTimer = loop.scheduleTimer(at: MonotonicTime.now().advanced(by: period)) { [self] in
            housekeeping()
        }
    }

    private func housekeeping() {
        guard state == .open || state == .awaitingPreface else { return }
        let now = MonotonicTime.now()
        if let stalledSince, now.nanoseconds(since: stalledSince) > limits.writeStallTimeout.wholeNanoseconds {
            close(reason: RPCError(.unavailable, "\(peer) left \(queuedOutboundBytes) bytes unread for too long"))
            return
        }
        if let pingSentAt {
            if now.nanoseconds(since: pingSentAt) > limits.keepaliveTimeout.wholeNanoseconds {
                close(reason: RPCError(.unavailable, "\(peer) did not answer a keepalive ping"))
                return
            }
        } else if state == .open && now.nanoseconds(since: lastReadAt) > limits.keepaliveInterval.wholeNanoseconds {
            pingSentAt = now
            writeFrame(.ping, callID: 0) { $0.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 1]) }
        }
        if let idle = limits.idleTimeout, let delegate, !delegate.hasCallsInFlight,
            now.nanoseconds(since: lastActiveAt) > idle.wholeNanoseconds
        {
            if hasUnreadInput {
                // A loop that did not run for a while fires its timers before it reads: what
                // arrived meanwhile (a preface, a call) is activity, not idleness.
                lastActiveAt = now
            } else if state == .awaitingPreface {
                // Nothing may be written before the peer's preface, not even a GOAWAY.
                close(reason: RPCError(.unavailable, "\(peer) sent no preface within the idle timeout"))
                return
            } else {
                delegate.connectionIsIdle(self)
                guard state == .open else { return }
                lastActiveAt = now
            }
        }
        scheduleHousekeeping()
    }
}
