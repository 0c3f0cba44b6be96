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
package enum ProtoCodec {
    /// The signature of protoc-c's `<message>__get_packed_size`.
    package typealias PackedSize<CMessage> = (UnsafePointer<CMessage>?) -> Int
    /// The signature of protoc-c's `<message>__pack`.
    package typealias Pack<CMessage> = (UnsafePointer<CMessage>?, UnsafeMutablePointer<UInt8>?) -> Int
    /// The signature of protoc-c's `<message>__unpack`.
    package typealias Unpack<CMessage> =
        (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>?
    /// The signature of protoc-c's `<message>__free_unpacked`.
    package typealias FreeUnpacked<CMessage> = (
        UnsafeMutablePointer<CMessage>?, UnsafeMutablePointer<ProtobufCAllocator>?
    ) -> Void

    /// The descriptor protoc-c generated for `Message`, read from a struct its `__init` function
    /// set: this avoids taking the address of an imported C global.
    package static func descriptor<Message: ProtoCBridged>(
        of type: Message.Type
    ) -> UnsafePointer<ProtobufCMessageDescriptor> {
        let message = UnsafeMutablePointer<Message.CMessage>.allocate(capacity: 1)
        defer { message.deallocate() }
        Message.cInitialize(message)
        return UnsafeRawPointer(message).load(as: ProtobufCMessage.self).descriptor
    }

    /// Appends the wire encoding of `message` to `buffer` with the message's protoc-c functions.
    @inlinable
    package static func serialize<Message: ProtoCBridged>(
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
    package static func serialize<Message: ProtoCBridged>(_ message: Message, into buffer: inout [UInt8]) {
        serialize(
            message, into: &buffer,
            packedSize: { protobuf_c_message_get_packed_size(base(of: $0)) },
            pack: { protobuf_c_message_pack(base(of: $0), $1) })
    }

    /// Decodes `bytes` with the message's protoc-c functions; throws when protobuf-c rejects them
    /// or a string field is not UTF-8.
    @inlinable
    package static func decode<Message: ProtoCBridged>(
        _ bytes: UnsafeRawBufferPointer,
        unpack: Unpack<Message.CMessage>, freeUnpacked: FreeUnpacked<Message.CMessage>
    ) throws(ProtoDecodingError) -> Message {
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
    package static func decode<Message: ProtoCBridged>(
        _ bytes: UnsafeRawBufferPointer
    ) throws(ProtoDecodingError) -> Message {
        try decode(
            bytes,
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
            // Arrays cannot grow uninitialized: zero the new bytes, then overwrite them.
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: byteCount))
            buffer.withUnsafeMutableBufferPointer { destination in
                write(destination.baseAddress! + start)
            }
        }
    }
}
