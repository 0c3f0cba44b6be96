import CProtobufC

/// The encoding and decoding that every generated message shares, parameterised by the message's
/// protoc-c functions.
///
/// Encoding fills the message's protoc-c struct in a `ProtoArena`, asks protobuf-c for the packed
/// size and packs straight into the caller's `[UInt8]`. Decoding lets protobuf-c unpack with its
/// default allocator, converts the struct to Swift and always frees it, also when the conversion
/// fails (a string field that is not UTF-8: proto3 forbids it, protobuf-c does not check it).
///
/// protoc-c generates `get_packed_size`, `pack`, `unpack` and `free_unpacked` for top-level
/// messages only; nested messages use the overloads without these parameters, which call the same
/// libprotobuf-c entry points with the message's descriptor.
public enum ProtoCodec {
    /// The signature of protoc-c's `<message>__get_packed_size`.
    public typealias PackedSize<CMessage> = (UnsafePointer<CMessage>?) -> Int
    /// The signature of protoc-c's `<message>__pack`.
    public typealias Pack<CMessage> = (UnsafePointer<CMessage>?, UnsafeMutablePointer<UInt8>?) -> Int
    /// The signature of protoc-c's `<message>__unpack`.
    public typealias Unpack<CMessage> =
        (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>?
    /// The signature of protoc-c's `<message>__free_unpacked`.
    public typealias FreeUnpacked<CMessage> = (
        UnsafeMutablePointer<CMessage>?, UnsafeMutablePointer<ProtobufCAllocator>?
    ) -> Void

    /// The descriptor protoc-c generated for `Message`, read from a struct its `__init` function
    /// set: this avoids taking the address of an imported C global.
    public static func descriptor<Message: ProtoCBridged>(
        of type: Message.Type
    ) -> UnsafePointer<ProtobufCMessageDescriptor> {
        let message = UnsafeMutablePointer<Message.CMessage>.allocate(capacity: 1)
        defer { message.deallocate() }
        Message.cInitialize(message)
        return UnsafeRawPointer(message).load(as: ProtobufCMessage.self).descriptor
    }

    /// Appends the wire encoding of `message` to `buffer` with the message's protoc-c functions.
    @inlinable
    public static func serialize<Message: ProtoCBridged>(
        _ message: Message, into buffer: inout [UInt8],
        packedSize: PackedSize<Message.CMessage>, pack: Pack<Message.CMessage>
    ) {
        ProtoArena.withArena { arena in
            let cMessage = arena.message(message)
            let size = packedSize(cMessage)
            guard size > 0 else { return }
            append(byteCount: size, to: &buffer) { destination in
                let written = pack(cMessage, destination)
                precondition(written == size, "protobuf-c packed \(written) bytes of \(Message.protoName), not \(size)")
            }
        }
    }

    /// Appends the wire encoding of a nested message, which has no protoc-c pack functions.
    @inlinable
    public static func serialize<Message: ProtoCBridged>(_ message: Message, into buffer: inout [UInt8]) {
        serialize(
            message, into: &buffer,
            packedSize: { protobuf_c_message_get_packed_size(base(of: $0)) },
            pack: { protobuf_c_message_pack(base(of: $0), $1) })
    }

    /// Decodes `bytes` with the message's protoc-c functions; throws when protobuf-c rejects them,
    /// when a string field is not UTF-8 or, with `limitingNesting` (for types that can contain
    /// themselves), when submessages nest deeper than `nestingLimit`.
    @inlinable
    public static func decode<Message: ProtoCBridged>(
        _ bytes: UnsafeRawBufferPointer, limitingNesting: Bool = false,
        unpack: Unpack<Message.CMessage>, freeUnpacked: FreeUnpacked<Message.CMessage>
    ) throws(ProtoDecodingError) -> Message {
        if limitingNesting && nestsDeeper(than: nestingLimit, bytes, descriptor: Message.protobufDescriptor) {
            throw ProtoDecodingError(messageName: Message.protoName, byteCount: bytes.count)
        }
        // protobuf-c reads nothing from `data` when the length is 0, so a missing base address is fine.
        let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let cMessage = unpack(nil, bytes.count, data) else {
            throw ProtoDecodingError(messageName: Message.protoName, byteCount: bytes.count)
        }
        defer { freeUnpacked(cMessage, nil) }
        do {
            return try Message(cMessage: cMessage)
        } catch {
            throw ProtoDecodingError(messageName: Message.protoName, byteCount: bytes.count)
        }
    }

    /// Decodes a nested message, which has no protoc-c unpack functions.
    @inlinable
    public static func decode<Message: ProtoCBridged>(
        _ bytes: UnsafeRawBufferPointer, limitingNesting: Bool = false
    ) throws(ProtoDecodingError) -> Message {
        try decode(
            bytes, limitingNesting: limitingNesting,
            unpack: { allocator, length, data in
                protobuf_c_message_unpack(Message.protobufDescriptor, allocator, length, data)
                    .map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Message.CMessage.self) }
            },
            freeUnpacked: { message, allocator in
                protobuf_c_message_free_unpacked(
                    UnsafeMutableRawPointer(message)?.assumingMemoryBound(to: ProtobufCMessage.self), allocator)
            })
    }

    /// A protoc-c struct seen as the `ProtobufCMessage` it starts with.
    @inlinable
    static func base<CMessage>(of message: UnsafePointer<CMessage>?) -> UnsafePointer<ProtobufCMessage>? {
        UnsafeRawPointer(message)?.assumingMemoryBound(to: ProtobufCMessage.self)
    }

    /// Grows `buffer` by `byteCount` bytes and lets `write` fill exactly them, without any
    /// intermediate copy.
    @inlinable
    static func append(byteCount: Int, to buffer: inout [UInt8], _ write: (UnsafeMutablePointer<UInt8>) -> Void) {
        if buffer.isEmpty && buffer.capacity < byteCount {
            buffer = [UInt8](unsafeUninitializedCapacity: byteCount) { destination, initializedCount in
                write(destination.baseAddress!)
                initializedCount = byteCount
            }
        } else {
            // Arrays cannot grow uninitialized: append zeros, then overwrite them.
            let start = buffer.count
            appendZeros(byteCount, to: &buffer)
            buffer.withUnsafeMutableBufferPointer { destination in
                write(destination.baseAddress! + start)
            }
        }
    }

    /// Appends `count` zero bytes, copied from `zeroPage`: a copy of contiguous bytes is fast even
    /// unoptimized, where appending `repeatElement(0, count:)` goes element by element.
    @usableFromInline
    static func appendZeros(_ count: Int, to buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + count)
        var remaining = count
        while remaining > 0 {
            let chunk = min(remaining, zeroPage.count)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: zeroPage[..<chunk]))
            remaining -= chunk
        }
    }

    // Allocated and zeroed once, never written afterwards, so sharing it between threads is safe.
    @usableFromInline
    nonisolated(unsafe) static let zeroPage: UnsafeRawBufferPointer = {
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
        page.initializeMemory(as: UInt8.self, repeating: 0)
        return UnsafeRawBufferPointer(page)
    }()
}
