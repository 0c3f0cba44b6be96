import CProtobufC

// Swift values to the C representations protobuf-c packs, copied into the arena.
extension ProtoArena {
    /// A NUL-terminated UTF-8 copy of `string`.
    ///
    /// protobuf-c measures strings with `strlen`, so a string containing U+0000 is sent up to that
    /// character only: a limitation of the C representation.
    @inlinable
    public mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = string.utf8
        let count = utf8.count
        let destination = allocate(CChar.self, count: count + 1)
        let copied: Void? = utf8.withContiguousStorageIfAvailable { source in
            if let base = source.baseAddress {
                UnsafeMutableRawPointer(destination).copyMemory(from: base, byteCount: count)
            }
        }
        if copied == nil {
            for (index, byte) in utf8.enumerated() {
                destination[index] = CChar(bitPattern: byte)
            }
        }
        destination[count] = 0
        return destination
    }

    /// A copy of `bytes` as protobuf-c binary data.
    @inlinable
    public mutating func binaryData(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let destination = allocate(UInt8.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress {
                destination.initialize(from: base, count: source.count)
            }
        }
        return ProtobufCBinaryData(len: bytes.count, data: destination)
    }

    /// A copy of a repeated scalar field whose Swift and C types are the same (integers and
    /// floating-point numbers); `nil` when empty.
    @inlinable
    public mutating func copy<Element: BitwiseCopyable>(_ values: [Element]) -> UnsafeMutablePointer<Element>? {
        guard !values.isEmpty else { return nil }
        let destination = allocate(Element.self, count: values.count)
        values.withUnsafeBufferPointer { source in
            destination.initialize(from: source.baseAddress!, count: source.count)
        }
        return destination
    }

    /// An array of the C forms of `values`; `nil` when empty.
    @inlinable
    public mutating func array<Element, CElement>(
        _ values: [Element], _ convert: (Element, inout ProtoArena) -> CElement
    ) -> UnsafeMutablePointer<CElement>? {
        guard !values.isEmpty else { return nil }
        let destination = allocate(CElement.self, count: values.count)
        for (index, value) in values.enumerated() {
            (destination + index).initialize(to: convert(value, &self))
        }
        return destination
    }

    /// A repeated `bool` field as protobuf-c booleans; `nil` when empty.
    @inlinable
    public mutating func bools(_ values: [Bool]) -> UnsafeMutablePointer<protobuf_c_boolean>? {
        array(values) { value, _ in value ? 1 : 0 }
    }

    /// A repeated `string` field as an array of C strings; `nil` when empty.
    @inlinable
    public mutating func cStrings(_ values: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        array(values) { value, arena in arena.cString(value) }
    }

    /// A repeated `bytes` field as an array of binary data; `nil` when empty.
    @inlinable
    public mutating func binaryData(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData>? {
        array(values) { value, arena in arena.binaryData(value) }
    }

    /// A repeated enum field as an array of protoc-c enum values; `nil` when empty.
    @inlinable
    public mutating func enums<Value: ProtoEnum, CEnum: RawRepresentable>(
        _ values: [Value]
    ) -> UnsafeMutablePointer<CEnum>? where CEnum.RawValue: FixedWidthInteger {
        array(values) { value, _ in ProtoToC.enumValue(value) }
    }

    /// A submessage: a protoc-c struct initialized by the message's `__init` function and filled.
    @inlinable
    public mutating func message<Message: ProtoCBridged>(
        _ message: Message
    ) -> UnsafeMutablePointer<Message.CMessage> {
        let destination = allocate(Message.CMessage.self, count: 1)
        Message.cInitialize(destination)
        message.fillC(destination, arena: &self)
        return destination
    }

    /// A repeated message field as an array of pointers to filled structs; `nil` when empty.
    @inlinable
    public mutating func messages<Message: ProtoCBridged>(
        _ messages: [Message]
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Message.CMessage>?>? {
        array(messages) { message, arena in arena.message(message) }
    }

    /// A map field as protoc-c's array of pointers to entry structs; `nil` when empty.
    ///
    /// `initialize` is the entry's `__init` function and `fill` stores one key and value. The
    /// entries are sorted by key (`orderedBy` reads it back), so that equal maps always encode to
    /// the same bytes whatever the order of the dictionary: the order of other implementations'
    /// deterministic serialization.
    @inlinable
    public mutating func mapEntries<Key, Value, Entry, CKey: ProtoCMapKey>(
        _ map: [Key: Value],
        initialize: (UnsafeMutablePointer<Entry>?) -> Void,
        orderedBy key: (UnsafePointer<Entry>) -> CKey,
        fill: (UnsafeMutablePointer<Entry>, Key, Value, inout ProtoArena) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>? {
        guard !map.isEmpty else { return nil }
        let entries = allocate(UnsafeMutablePointer<Entry>?.self, count: map.count)
        var index = 0
        for (mapKey, mapValue) in map {
            let entry = allocate(Entry.self, count: 1)
            initialize(entry)
            fill(entry, mapKey, mapValue, &self)
            (entries + index).initialize(to: entry)
            index += 1
        }
        Self.sortEntries(entries, count: map.count) { lhs, rhs in CKey.protoPrecedes(key(lhs), key(rhs)) }
        return entries
    }

    /// Sorts map entries in place. Maps are mostly small (call metadata): up to 16 entries an
    /// insertion sort, which allocates nothing, is several times faster than the standard sort.
    @inlinable
    static func sortEntries<Entry>(
        _ entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>, count: Int,
        by precedes: (UnsafePointer<Entry>, UnsafePointer<Entry>) -> Bool
    ) {
        guard count > 16 else {
            for index in stride(from: 1, to: count, by: 1) {
                let entry = entries[index]!
                var position = index
                while position > 0 && precedes(entry, entries[position - 1]!) {
                    entries[position] = entries[position - 1]
                    position -= 1
                }
                entries[position] = entry
            }
            return
        }
        var buffer = UnsafeMutableBufferPointer(start: entries, count: count)
        buffer.sort { lhs, rhs in precedes(lhs!, rhs!) }
    }
}

/// Conversions of Swift values to protoc-c scalars that need no memory.
public enum ProtoToC {
    /// The protoc-c enum value with the same number as `value` (unrecognized numbers included).
    @inlinable
    public static func enumValue<Value: ProtoEnum, CEnum: RawRepresentable>(
        _ value: Value
    ) -> CEnum where CEnum.RawValue: FixedWidthInteger {
        // Imported C enums accept any raw value, so this never returns nil.
        CEnum(rawValue: CEnum.RawValue(truncatingIfNeeded: value.rawValue))!
    }
}

/// The C form of a map key, as protoc-c stores it in an entry struct, and the order in which
/// entries are encoded: numbers by value, strings byte-wise (which is Unicode code point order).
public protocol ProtoCMapKey {
    /// Whether an entry with key `lhs` is encoded before one with key `rhs`.
    static func protoPrecedes(_ lhs: Self, _ rhs: Self) -> Bool
}

extension ProtoCMapKey where Self: FixedWidthInteger {
    /// Numeric order; for `bool` keys (protobuf-c booleans, `Int32`) false comes first.
    @inlinable
    public static func protoPrecedes(_ lhs: Self, _ rhs: Self) -> Bool { lhs < rhs }
}

extension Int32: ProtoCMapKey {}
extension Int64: ProtoCMapKey {}
extension UInt32: ProtoCMapKey {}
extension UInt64: ProtoCMapKey {}

extension Optional: ProtoCMapKey where Wrapped == UnsafeMutablePointer<CChar> {
    /// Byte-wise order of the NUL-terminated strings, as `strcmp` would; `nil` sorts as "".
    @inlinable
    public static func protoPrecedes(_ lhs: Self, _ rhs: Self) -> Bool {
        guard let rhs else { return false }
        guard let lhs else { return rhs.pointee != 0 }
        var index = 0
        while true {
            let left = UInt8(bitPattern: lhs[index])
            let right = UInt8(bitPattern: rhs[index])
            if left != right || left == 0 { return left < right }
            index += 1
        }
    }
}
