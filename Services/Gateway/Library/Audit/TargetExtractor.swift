import CProtobufC
import ProtoRuntime

/// Finds what a call acted on in its request, without decoding the whole message: the value of a
/// top-level string field named `id`, else of the first (by number) string field whose name ends
/// in `_id`, read straight from the wire encoding.
public struct TargetExtractor: Sendable {
    /// Field numbers to look for, best first.
    public let fieldNumbers: [UInt32]

    /// The extractor for messages of `descriptor`'s type.
    public init(descriptor: UnsafePointer<ProtobufCMessageDescriptor>) {
        var exact: [UInt32] = []
        var suffixed: [UInt32] = []
        let message = descriptor.pointee
        for index in 0..<Int(message.n_fields) {
            let field = message.fields[index]
            guard field.type == PROTOBUF_C_TYPE_STRING, field.label != PROTOBUF_C_LABEL_REPEATED else { continue }
            let name = String(cString: field.name)
            if name == "id" {
                exact.append(field.id)
            } else if name.hasSuffix("_id") {
                suffixed.append(field.id)
            }
        }
        fieldNumbers = exact + suffixed.sorted()
    }

    /// The target in `bytes` (an encoded request), or "" when none of the fields is set or the
    /// bytes cannot be walked.
    public func target(in bytes: [UInt8]) -> String {
        guard !fieldNumbers.isEmpty else { return "" }
        var found: [UInt32: String] = [:]
        var reader = WireReader(bytes: bytes)
        while let (number, wireType) = reader.nextTag() {
            if wireType == 2, fieldNumbers.contains(number) {
                guard let value = reader.lengthDelimited() else { return "" }
                found[number] = String(decoding: value, as: UTF8.self)
            } else if !reader.skip(wireType) {
                break
            }
        }
        for number in fieldNumbers {
            if let value = found[number], !value.isEmpty { return String(value.prefix(512)) }
        }
        return ""
    }
}

/// Walks the top level of a protobuf encoding.
struct WireReader {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The next field's number and wire type, or `nil` at the end or on malformed input.
    mutating func nextTag() -> (UInt32, UInt8)? {
        guard offset < bytes.count, let tag = varint(), tag >> 3 > 0, tag >> 3 <= UInt64(UInt32.max) else { return nil }
        return (UInt32(tag >> 3), UInt8(tag & 7))
    }

    mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count && shift < 64 {
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }

    mutating func lengthDelimited() -> ArraySlice<UInt8>? {
        guard let length = varint(), length <= UInt64(bytes.count - offset) else { return nil }
        let start = offset
        offset += Int(length)
        return bytes[start..<offset]
    }

    /// Skips one value of `wireType`; false when it cannot (groups, truncation).
    mutating func skip(_ wireType: UInt8) -> Bool {
        switch wireType {
        case 0: return varint() != nil
        case 1: return advance(8)
        case 2: return lengthDelimited() != nil
        case 5: return advance(4)
        default: return false
        }
    }

    private mutating func advance(_ count: Int) -> Bool {
        guard bytes.count - offset >= count else { return false }
        offset += count
        return true
    }
}
