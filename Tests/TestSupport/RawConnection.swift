import Foundation
import Glibc
import BackofficeAPI
import ProtoRuntime
import RPC

/// A deliberately low-level client for protocol tests: a loopback socket that sends whatever bytes
/// a test wants (including malformed ones) and reads frames back with a timeout. Frame numbers are
/// written out as docs/PROTOCOL.md gives them, so the tests check the document.
///
/// The socket is blocking, but every operation runs on the connection's own dispatch queue, never
/// on Swift's cooperative threads: tests block on it without stalling the tests that run beside.
public final class RawConnection: @unchecked Sendable {
    // @unchecked Sendable: the socket and the receive buffer are only touched on `queue`.
    /// Frame types, as numbered in docs/PROTOCOL.md.
    public enum FrameKind {
        public static let call: UInt8 = 0x01
        public static let message: UInt8 = 0x02
        public static let halfClose: UInt8 = 0x03
        public static let status: UInt8 = 0x04
        public static let cancel: UInt8 = 0x05
        public static let ping: UInt8 = 0x06
        public static let goAway: UInt8 = 0x07
    }

    /// The protocol preface, version 1.
    public static let preface: [UInt8] = Array("BORPC\r\n".utf8) + [1]

    /// One frame as received.
    public struct Frame: Equatable, Sendable {
        public let type: UInt8
        public let flags: UInt8
        public let callID: UInt32
        public let payload: [UInt8]
    }

    /// What a read found.
    public enum ReadResult: Equatable, Sendable {
        case frame(Frame)
        /// The server closed the connection.
        case closed
        /// Nothing arrived in time.
        case timedOut
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let queue = DispatchQueue(label: "raw-connection")

    /// Runs blocking socket work on the connection's queue.
    private func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Takes over a socket a `RawListener` accepted: the test plays the server by hand.
    init(accepted fd: Int32) {
        self.fd = fd
    }

    /// Connects to `address` (loopback).
    public init(to address: SocketAddress) throws {
        // The descriptor becomes the object's only once connected: `deinit` closes it, and a
        // second close of a number another test may have reused by then would cut that test's
        // connection.
        fd = try Self.connected(to: address)
    }

    private static func connected(to address: SocketAddress) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError("socket", errno: errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(address.port).bigEndian)
        inet_pton(AF_INET, address.host == "localhost" ? "127.0.0.1" : address.host, &addr.sin_addr)
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = IOError("connect", errno: errno)
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    deinit { Glibc.close(fd) }

    /// Closes the socket now (a client that vanishes).
    public func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Sends raw bytes.
    public func send(_ bytes: [UInt8]) async throws {
        try await blocking { try self.sendNow(bytes) }
    }

    private func sendNow(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw IOError("send", errno: errno) }
            offset += sent
        }
    }

    /// Encodes a frame as docs/PROTOCOL.md describes it.
    public static func frame(
        type: UInt8, flags: UInt8 = 0, callID: UInt32, payload: [UInt8] = [], announcedLength: UInt32? = nil
    ) -> [UInt8] {
        let length = announcedLength ?? UInt32(payload.count)
        var bytes: [UInt8] = []
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        bytes += [type, flags]
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: callID >> UInt32(shift))) }
        return bytes + payload
    }

    /// Sends the preface and checks the server's.
    public func handshake() async throws {
        try await send(Self.preface)
        let answer = try await readExactly(8, timeout: 5)
        guard answer == Self.preface else { throw IOError("handshake: unexpected preface \(String(describing: answer))", errno: EPROTO) }
    }

    /// Sends a CALL frame for `method` with optional metadata and timeout.
    public func sendCall(_ callID: UInt32, method: String, metadata: [String: String] = [:], timeoutMicros: Int64 = 0) async throws {
        var headers = Wire.CallHeaders()
        headers.method = method
        headers.metadata = metadata
        headers.timeoutMicros = timeoutMicros
        try await send(Self.frame(type: FrameKind.call, callID: callID, payload: headers.serializedBytes()))
    }

    /// Sends a whole unary call, CALL and MESSAGE frames, in one write: the server reads both at
    /// once however loaded the machine is.
    public func sendUnaryCall(
        _ callID: UInt32, method: String, request: some ProtoMessage, metadata: [String: String] = [:], timeoutMicros: Int64 = 0
    ) async throws {
        var headers = Wire.CallHeaders()
        headers.method = method
        headers.metadata = metadata
        headers.timeoutMicros = timeoutMicros
        try await send(
            Self.frame(type: FrameKind.call, callID: callID, payload: headers.serializedBytes())
                + Self.frame(type: FrameKind.message, flags: 1, callID: callID, payload: request.serializedBytes()))
    }

    /// Sends one request message, flagged as the last by default.
    public func sendMessage(_ callID: UInt32, _ message: some ProtoMessage, last: Bool = true) async throws {
        try await send(Self.frame(type: FrameKind.message, flags: last ? 1 : 0, callID: callID, payload: message.serializedBytes()))
    }

    /// Connects, opens call 1 of `Echo/Unary` asking for a 10-second answer, and returns once the
    /// server's handler has started (reported by `probe`, which a `ProbeEchoProvider` shares).
    public static func withSlowCallInFlight(to address: SocketAddress, probe: EventProbe) async throws -> RawConnection {
        let raw = try RawConnection(to: address)
        try await raw.handshake()
        try await raw.sendCall(1, method: "backoffice.echo.Echo/Unary")
        var request = Echo.EchoRequest()
        request.delayMillis = 10_000
        try await raw.sendMessage(1, request)
        guard await probe.waitFor("started") else { throw IOError("the slow call never started", errno: ETIMEDOUT) }
        return raw
    }

    /// Reads exactly `count` bytes; nil when the connection closed first.
    public func readExactly(_ count: Int, timeout: Double) async throws -> [UInt8]? {
        try await blocking { try self.readExactlyNow(count, timeout: timeout) }
    }

    private func readExactlyNow(_ count: Int, timeout: Double) throws -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        while buffer.count < count {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw IOError("read: timed out", errno: ETIMEDOUT) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(remaining * 1000) + 1)
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received == 0 { return nil }
            if received < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNRESET { return nil }
                throw IOError("recv", errno: errno)
            }
            buffer += chunk[0..<received]
        }
        let result = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return result
    }

    /// Reads the next frame.
    public func readFrame(timeout: Double = 5) async throws -> ReadResult {
        try await blocking { try self.readFrameNow(timeout: timeout) }
    }

    private func readFrameNow(timeout: Double) throws -> ReadResult {
        do {
            guard let header = try readExactlyNow(10, timeout: timeout) else { return .closed }
            let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            let callID = UInt32(header[6]) << 24 | UInt32(header[7]) << 16 | UInt32(header[8]) << 8 | UInt32(header[9])
            guard let payload = try readExactlyNow(length, timeout: timeout) else { return .closed }
            return .frame(Frame(type: header[4], flags: header[5], callID: callID, payload: payload))
        } catch let error as IOError where error.errno == ETIMEDOUT {
            return .timedOut
        }
    }

    /// Reads frames until one of `type` arrives (skipping others); nil when the connection closed.
    public func readFrame(ofType type: UInt8, timeout: Double = 5) async throws -> Frame? {
        let deadline = Date().addingTimeInterval(timeout)
        for _ in 0..<10_000 {
            switch try await readFrame(timeout: max(0.01, deadline.timeIntervalSinceNow)) {
            case .frame(let frame) where frame.type == type: return frame
            case .frame: continue
            case .closed: return nil
            case .timedOut: throw IOError("no frame of type \(type) within \(timeout) s", errno: ETIMEDOUT)
            }
        }
        return nil
    }

    /// Reads and discards until the server closes; true when it did within `timeout`.
    public func waitForClose(timeout: Double = 5) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        for _ in 0..<100_000 {
            switch try await readFrame(timeout: max(0.01, deadline.timeIntervalSinceNow)) {
            case .closed: return true
            case .timedOut: return false
            case .frame: continue
            }
        }
        return false
    }

    /// Reads frames until one of `type` arrives (skipping others); throws when the connection
    /// closes first or nothing comes within `timeout`.
    public func frame(ofType type: UInt8, timeout: Double = 5) async throws -> Frame {
        guard let frame = try await readFrame(ofType: type, timeout: timeout) else {
            throw IOError("the connection closed before a frame of type \(type) arrived", errno: ECONNRESET)
        }
        return frame
    }

    /// Decodes a STATUS payload (empty = OK).
    public static func status(of frame: Frame) throws -> Wire.Status {
        frame.payload.isEmpty ? Wire.Status() : try Wire.Status(serializedBytes: frame.payload)
    }

    /// Decodes a GOAWAY payload.
    public static func goAway(of frame: Frame) throws -> Wire.GoAway {
        try Wire.GoAway(serializedBytes: frame.payload)
    }
}
