/// The protobuf wire types this package reads and writes.
enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// Appends protobuf wire encoding to a byte buffer.
struct WireWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func tag(_ number: UInt32, _ type: WireType) {
        varint(UInt64(number) << 3 | UInt64(type.rawValue))
    }

    mutating func fixed32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func fixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func lengthDelimited(_ payload: [UInt8]) {
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }
}

/// One field occurrence read off the wire.
struct WireField {
    let number: UInt32
    let type: WireType
    /// The varint, or the fixed32/fixed64 bits.
    let scalar: UInt64
    /// The payload of a length-delimited field.
    let payload: ArraySlice<UInt8>
}

/// Reads protobuf wire encoding; every read is bounds-checked.
struct WireReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = Array(bytes)
        self.position = 0
        self.end = self.bytes.count
    }

    var isAtEnd: Bool { position >= end }

    mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift < 64 {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    mutating func fixed(_ size: Int) -> UInt64? {
        guard end - position >= size else { return nil }
        var value: UInt64 = 0
        for index in 0..<size { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += size
        return value
    }

    /// The next field, or `nil` at the end; throws for truncated or malformed bytes.
    mutating func next() throws(ProtoJSONError) -> WireField? {
        guard !isAtEnd else { return nil }
        guard let key = varint(), key >> 3 > 0, key >> 3 <= UInt64(UInt32.max) else { throw .malformed }
        let number = UInt32(key >> 3)
        switch key & 7 {
        case 0:
            guard let value = varint() else { throw .malformed }
            return WireField(number: number, type: .varint, scalar: value, payload: [])
        case 1:
            guard let value = fixed(8) else { throw .malformed }
            return WireField(number: number, type: .fixed64, scalar: value, payload: [])
        case 2:
            guard let length = varint(), length <= UInt64(end - position) else { throw .malformed }
            let payload = bytes[position..<position + Int(length)]
            position += Int(length)
            return WireField(number: number, type: .lengthDelimited, scalar: 0, payload: payload)
        case 5:
            guard let value = fixed(4) else { throw .malformed }
            return WireField(number: number, type: .fixed32, scalar: value, payload: [])
        default:
            throw .malformed
        }
    }
}

extension ProtoJSONError {
    /// Bytes that are not a protobuf encoding.
    static let malformed = ProtoJSONError(path: "", reason: "the bytes are not a valid protobuf message")
}
