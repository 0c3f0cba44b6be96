/// The kinds of frame; docs/PROTOCOL.md describes each.
enum FrameType: UInt8, Sendable {
    /// Client → server: opens a call; payload `backoffice.wire.CallHeaders`.
    case call = 0x01
    /// Either way: one request or response message; flag END_STREAM half-closes after it.
    case message = 0x02
    /// Client → server: no more requests, without a message.
    case halfClose = 0x03
    /// Server → client: ends a call; payload `backoffice.wire.Status` (empty means OK).
    case status = 0x04
    /// Client → server: the caller gave up; the server stops the call and sends nothing more for it.
    case cancel = 0x05
    /// Either way, call id 0: liveness probe with 8 opaque bytes; flag ACK marks the answer.
    case ping = 0x06
    /// Either way, call id 0: the sender is closing the connection; payload `backoffice.wire.GoAway`.
    case goAway = 0x07
}

/// Frame flag bits.
enum FrameFlags {
    /// On MESSAGE: the sender's last message of the call.
    static let endStream: UInt8 = 0x01
    /// On PING: this is the answer to a ping.
    static let ack: UInt8 = 0x01
}

/// The fixed part of every frame.
struct FrameHeader: Sendable, Equatable {
    /// Bytes in a header: length (4, big-endian) type (1) flags (1) call id (4, big-endian).
    static let size = 10

    /// Bytes of payload after the header.
    var length: UInt32
    var type: UInt8
    var flags: UInt8
    var callID: UInt32

    init(length: UInt32, type: UInt8, flags: UInt8, callID: UInt32) {
        self.length = length
        self.type = type
        self.flags = flags
        self.callID = callID
    }

    /// Reads a header from the first `size` bytes.
    init(reading bytes: UnsafeRawBufferPointer) {
        length = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        type = bytes[4]
        flags = bytes[5]
        callID = UInt32(bytes[6]) << 24 | UInt32(bytes[7]) << 16 | UInt32(bytes[8]) << 8 | UInt32(bytes[9])
    }
}

/// The connection preface: "BORPC\r\n" then the protocol version.
enum Preface {
    static let magic: [UInt8] = Array("BORPC\r\n".utf8)
    static let version: UInt8 = 1
    static let bytes: [UInt8] = magic + [version]
    static let size = 8

    /// What a peer's first 8 bytes say.
    enum Verdict: Equatable {
        case valid
        /// Right magic, another version.
        case unsupportedVersion(UInt8)
        /// Looks like an HTTP request.
        case http
        case garbage
    }

    static func check(_ bytes: UnsafeRawBufferPointer) -> Verdict {
        if zip(bytes.prefix(magic.count), magic).allSatisfy({ $0 == $1 }) {
            return bytes[7] == version ? .valid : .unsupportedVersion(bytes[7])
        }
        let start = String(decoding: bytes.prefix(8), as: UTF8.self)
        let httpMethods = ["GET ", "POST", "PUT ", "HEAD", "DELE", "OPTI", "PATC", "PRI ", "CONN", "TRAC"]
        return httpMethods.contains(where: { start.hasPrefix($0) }) ? .http : .garbage
    }
}

extension Array where Element == UInt8 {
    /// Appends a frame whose payload `writePayload` appends, then fills in its length.
    @inline(__always)
    mutating func appendFrame(
        type: FrameType, flags: UInt8 = 0, callID: UInt32, writePayload: (inout [UInt8]) -> Void = { _ in }
    ) {
        let start = count
        // The header in one append and its length in one write: byte by byte, each would check
        // the array's storage again.
        let header: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (
            0, 0, 0, 0, type.rawValue, flags, UInt8(truncatingIfNeeded: callID >> 24), UInt8(truncatingIfNeeded: callID >> 16),
            UInt8(truncatingIfNeeded: callID >> 8), UInt8(truncatingIfNeeded: callID)
        )
        Swift.withUnsafeBytes(of: header) { append(contentsOf: $0) }
        writePayload(&self)
        let length = UInt32(count - start - FrameHeader.size)
        withUnsafeMutableBufferPointer { bytes in
            bytes[start] = UInt8(truncatingIfNeeded: length >> 24)
            bytes[start + 1] = UInt8(truncatingIfNeeded: length >> 16)
            bytes[start + 2] = UInt8(truncatingIfNeeded: length >> 8)
            bytes[start + 3] = UInt8(truncatingIfNeeded: length)
        }
    }
}

/// Bytes received and not yet parsed: one growable block, compacted as frames are consumed.
///
/// The decoder checks a frame's announced length against the maximum before it makes room for
/// the frame, so a peer cannot make it allocate more than the maximum plus one read.
struct InboundBuffer: ~Copyable {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0

    init(capacity: Int) {
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    var readableCount: Int { end - start }
    var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + start, count: end - start) }
    var allocatedCapacity: Int { capacity }

    mutating func consume(_ count: Int) {
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Makes room for at least `count` more bytes at the end, moving unread bytes to the front and
    /// growing the block when they still would not fit.
    mutating func reserveFree(_ count: Int) {
        if capacity - end >= count { return }
        if start > 0 {
            (storage).copyMemory(from: storage + start, byteCount: end - start)
            end -= start
            start = 0
        }
        if capacity - end >= count { return }
        var newCapacity = capacity
        while newCapacity - end < count { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        grown.copyMemory(from: storage, byteCount: end)
        storage.deallocate()
        storage = grown
        capacity = newCapacity
    }

    /// Gives back memory grown for a large frame once it is no longer needed.
    mutating func shrink(to normalCapacity: Int) {
        guard capacity > normalCapacity, end - start <= normalCapacity else { return }
        let smaller = UnsafeMutableRawPointer.allocate(byteCount: normalCapacity, alignment: 16)
        smaller.copyMemory(from: storage + start, byteCount: end - start)
        storage.deallocate()
        storage = smaller
        end -= start
        start = 0
        capacity = normalCapacity
    }

    /// Reads from `fd` into the free space; returns the byte count (0 at end of stream).
    mutating func read(from fd: Int32) throws(IOError) -> IOResult<Int> {
        let free = UnsafeMutableRawPointer(storage + end)
        let room = capacity - end
        let result = try systemCall("read") { Glibc.read(fd, free, room) }
        if case .done(let count) = result { end += count }
        return result
    }

    /// Copies `count` readable bytes out without consuming them.
    func peek(_ count: Int) -> [UInt8] { Array(readable.prefix(count)) }
}

import Glibc

/// What the frame decoder found at the front of the inbound buffer.
enum FrameParse {
    /// A whole frame: header and payload (valid until the buffer is next changed).
    case frame(FrameHeader, UnsafeRawBufferPointer)
    /// Not enough bytes yet; `needed` is the size of the whole frame when the header is known.
    case incomplete(needed: Int)
    /// The header announces a payload over the maximum; the connection must be closed.
    case tooLarge(FrameHeader)
}

extension InboundBuffer {
    /// Parses the next frame without consuming it.
    func nextFrame(maxPayload: Int) -> FrameParse {
        let bytes = readable
        guard bytes.count >= FrameHeader.size else { return .incomplete(needed: FrameHeader.size) }
        let header = FrameHeader(reading: bytes)
        guard Int(header.length) <= maxPayload else { return .tooLarge(header) }
        let total = FrameHeader.size + Int(header.length)
        guard bytes.count >= total else { return .incomplete(needed: total) }
        return .frame(header, UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.size..<total]))
    }
}
