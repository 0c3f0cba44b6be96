/// The protobuf wire types (groups, long deprecated, are not supported).
public enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// Base-128 varints, protobuf's encoding of integers: read and written here for every reader and
/// writer of the wire format in Swift (the CALL header, JSON conversion, the nesting check).
public enum Varint {
    /// The varint at `offset` in `bytes`, read no further than `end`, with `offset` moved past
    /// it; `nil` when the bytes end first or it runs over 10 bytes (`offset` then moved anyway).
    @inlinable @inline(__always)
    public static func read(_ bytes: UnsafePointer<UInt8>, at offset: inout Int, end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end && shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }

    /// Appends the encoding of `value` to `buffer`.
    @inlinable
    public static func append(_ value: UInt64, to buffer: inout [UInt8]) {
        if value < 0x80 {
            buffer.append(UInt8(value))
        } else {
            append(value, after: [], to: &buffer)
        }
    }

    /// Appends the bytes `prefix` (a field's tag, say), then the encoding of `value`, to `buffer`
    /// in one append: written byte by byte, each would check the array's storage again.
    @inlinable
    public static func append(_ value: UInt64, after prefix: some Collection<UInt8>, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix.count + 10) { scratch in
            var count = 0
            for byte in prefix {
                scratch[count] = byte
                count += 1
            }
            var value = value
            while value >= 0x80 {
                scratch[count] = UInt8(truncatingIfNeeded: value) | 0x80
                count += 1
                value >>= 7
            }
            scratch[count] = UInt8(value)
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<(count + 1)]))
        }
    }

    /// How many bytes the encoding of `value` takes.
    @inlinable
    public static func size(of value: UInt64) -> Int {
        var size = 1
        var value = value
        while value >= 0x80 {
            size += 1
            value >>= 7
        }
        return size
    }
}

/// Appends protobuf wire encoding to a byte buffer, for code that encodes without generated
/// types (JSON conversion).
public struct WireWriter {
    /// What has been written.
    public var bytes: [UInt8] = []

    /// An empty buffer.
    public init() {}

    public mutating func varint(_ value: UInt64) {
        Varint.append(value, to: &bytes)
    }

    public mutating func tag(_ number: UInt32, _ type: WireType) {
        varint(UInt64(number) << 3 | UInt64(type.rawValue))
    }

    public mutating func fixed32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func fixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func lengthDelimited(_ payload: [UInt8]) {
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }
}

/// One field occurrence read off the wire.
public struct WireField: Sendable {
    /// The field number.
    public let number: UInt32
    /// How the value is encoded.
    public let type: WireType
    /// The varint, or the fixed32/fixed64 bits.
    public let scalar: UInt64
    /// The payload of a length-delimited field.
    public let payload: ArraySlice<UInt8>
}

/// Reads protobuf wire encoding field by field, without a message type (JSON conversion, the
/// gateway's audit targets); every read is bounds-checked.
public struct WireReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    /// A reader over `bytes`.
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = Array(bytes)
        self.position = 0
        self.end = self.bytes.count
    }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { position >= end }

    /// A varint, or `nil` when the bytes end first.
    public mutating func varint() -> UInt64? {
        guard position < end else { return nil }
        var offset = position
        let value = bytes.withUnsafeBufferPointer { Varint.read($0.baseAddress!, at: &offset, end: end) }
        position = offset
        return value
    }

    /// `size` (4 or 8) little-endian bytes, or `nil` when the bytes end first.
    public mutating func fixed(_ size: Int) -> UInt64? {
        guard end - position >= size else { return nil }
        var value: UInt64 = 0
        for index in 0..<size { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += size
        return value
    }

    /// The next field, or `nil` at the end; throws for truncated or malformed bytes.
    public mutating func next() throws(MalformedWireData) -> WireField? {
        guard !isAtEnd else { return nil }
        guard let key = varint(), key >> 3 > 0, key >> 3 <= UInt64(UInt32.max) else { throw MalformedWireData() }
        let number = UInt32(key >> 3)
        switch key & 7 {
        case 0:
            guard let value = varint() else { throw MalformedWireData() }
            return WireField(number: number, type: .varint, scalar: value, payload: [])
        case 1:
            guard let value = fixed(8) else { throw MalformedWireData() }
            return WireField(number: number, type: .fixed64, scalar: value, payload: [])
        case 2:
            guard let length = varint(), length <= UInt64(end - position) else { throw MalformedWireData() }
            let payload = bytes[position..<position + Int(length)]
            position += Int(length)
            return WireField(number: number, type: .lengthDelimited, scalar: 0, payload: payload)
        case 5:
            guard let value = fixed(4) else { throw MalformedWireData() }
            return WireField(number: number, type: .fixed32, scalar: value, payload: [])
        default:
            throw MalformedWireData()
        }
    }
}

/// Bytes that are not a protobuf encoding (truncated, a bad tag or wire type).
public struct MalformedWireData: Error, Sendable, Equatable {
    /// The error.
    public init() {}
}
