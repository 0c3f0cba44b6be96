import CProtobufC

// protobuf-c unpacks submessages recursively and has no depth limit, so a message type that can
// contain itself could be sent nested deep enough (about 10,000 levels, 40 KB) to overflow the
// stack. Decoding such types first measures the nesting of the bytes, following only the fields
// the descriptor declares as messages, which is far cheaper than unpacking.
extension ProtoCodec {
    /// The deepest nesting of submessages that decoding accepts for message types that can contain
    /// themselves, as in Google's implementations.
    public static var nestingLimit: Int { 100 }

    /// Whether `bytes`, read as a message of `descriptor`, nest submessages more than `limit`
    /// levels deep. Malformed bytes answer `false`: protobuf-c rejects them by itself.
    public static func nestsDeeper(
        than limit: Int, _ bytes: UnsafeRawBufferPointer, descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    ) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let scanner = NestingScanner(base: base.assumingMemoryBound(to: UInt8.self))
        return scanner.nestsDeeper(than: limit, from: 0, to: bytes.count, descriptor: descriptor)
    }
}

/// Walks the wire format of a message without decoding values: just tags, lengths and the
/// submessages the descriptors declare. Recursion is bounded by the limit it checks.
struct NestingScanner {
    /// The first byte of the encoding.
    let base: UnsafePointer<UInt8>

    /// Whether the message at `start..<end` nests deeper than `limit` below itself.
    func nestsDeeper(
        than limit: Int, from start: Int, to end: Int, descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    ) -> Bool {
        var offset = start
        while offset < end {
            guard let tag = varint(at: &offset, end: end) else { return false }
            switch tag & 7 {
            case 0:
                guard varint(at: &offset, end: end) != nil else { return false }
            case 1:
                offset += 8
            case 5:
                offset += 4
            case 2:
                guard let length = varint(at: &offset, end: end), length <= UInt64(end - offset) else { return false }
                let fieldEnd = offset + Int(length)
                if let nested = messageDescriptor(of: tag >> 3, in: descriptor) {
                    if limit == 0 { return true }
                    if nestsDeeper(than: limit - 1, from: offset, to: fieldEnd, descriptor: nested) { return true }
                }
                offset = fieldEnd
            default:
                return false  // groups and invalid wire types: protobuf-c's to reject
            }
        }
        return false
    }

    /// The descriptor of the message type of field `number`, when the field is message-typed
    /// (map fields included: their entries are messages).
    func messageDescriptor(
        of number: UInt64, in descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    ) -> UnsafePointer<ProtobufCMessageDescriptor>? {
        guard number <= UInt64(UInt32.max),
            let field = protobuf_c_message_descriptor_get_field(descriptor, UInt32(number)),
            field.pointee.type == PROTOBUF_C_TYPE_MESSAGE,
            let nested = field.pointee.descriptor
        else { return nil }
        return nested.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
    }

    /// Reads a varint at `offset`, advancing it; `nil` when truncated or over 10 bytes.
    private func varint(at offset: inout Int, end: Int) -> UInt64? {
        Varint.read(base, at: &offset, end: end)
    }
}
