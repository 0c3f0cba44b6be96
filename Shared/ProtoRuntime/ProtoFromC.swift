import CProtobufC

/// Conversions of the C values in a struct that protobuf-c unpacked to Swift values. Everything is
/// copied: the struct is freed right after the conversion.
public enum ProtoFromC {
    /// A string field holds bytes that are not UTF-8, which proto3 forbids; protobuf-c does not check.
    public struct InvalidUTF8: Error {
        /// The error; it carries nothing, as decoding reports it as a `ProtoDecodingError`.
        @inlinable
        public init() {}
    }

    /// A C string as a Swift string; `NULL` reads as "". Throws for bytes that are not UTF-8.
    ///
    /// protobuf-c stores strings NUL-terminated, so a string received with U+0000 in it ends there.
    @inlinable
    public static func string(_ string: UnsafePointer<CChar>?) throws(InvalidUTF8) -> String {
        guard let string, string.pointee != 0 else { return "" }
        guard let decoded = String(validatingCString: string) else { throw InvalidUTF8() }
        return decoded
    }

    /// Binary data as bytes.
    @inlinable
    public static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let base = data.data else { return [] }
        return [UInt8](UnsafeBufferPointer(start: base, count: data.len))
    }

    /// A repeated scalar field whose Swift and C types are the same.
    @inlinable
    public static func array<Element: BitwiseCopyable>(_ values: UnsafePointer<Element>?, count: Int) -> [Element] {
        guard count > 0, let values else { return [] }
        return [Element](UnsafeBufferPointer(start: values, count: count))
    }

    /// A repeated field, each C value converted by `convert`.
    @inlinable
    public static func array<CElement, Element>(
        _ values: UnsafePointer<CElement>?, count: Int, _ convert: (CElement) -> Element
    ) -> [Element] {
        guard count > 0, let values else { return [] }
        return UnsafeBufferPointer(start: values, count: count).map(convert)
    }

    /// A repeated field whose conversion can meet invalid UTF-8.
    @inlinable
    public static func validatedArray<CElement, Element>(
        _ values: UnsafePointer<CElement>?, count: Int, _ convert: (CElement) throws(InvalidUTF8) -> Element
    ) throws(InvalidUTF8) -> [Element] {
        guard count > 0, let values else { return [] }
        var result: [Element] = []
        result.reserveCapacity(count)
        for value in UnsafeBufferPointer(start: values, count: count) {
            result.append(try convert(value))
        }
        return result
    }

    /// A repeated `bool` field.
    @inlinable
    public static func bools(_ values: UnsafePointer<protobuf_c_boolean>?, count: Int) -> [Bool] {
        array(values, count: count) { $0 != 0 }
    }

    /// A repeated `string` field; throws when one is not UTF-8.
    @inlinable
    public static func strings(
        _ values: UnsafePointer<UnsafeMutablePointer<CChar>?>?, count: Int
    ) throws(InvalidUTF8) -> [String] {
        try validatedArray(values, count: count) { value throws(InvalidUTF8) in try string(value) }
    }

    /// A repeated `bytes` field.
    @inlinable
    public static func bytes(_ values: UnsafePointer<ProtobufCBinaryData>?, count: Int) -> [[UInt8]] {
        array(values, count: count) { bytes($0) }
    }

    /// The number of a protoc-c enum value, for `init(rawValue:)` of the generated enum.
    @inlinable
    public static func enumNumber<CEnum: RawRepresentable>(_ value: CEnum) -> Int32
    where CEnum.RawValue: FixedWidthInteger {
        Int32(truncatingIfNeeded: value.rawValue)
    }

    /// A repeated enum field; numbers the .proto does not declare become `unrecognized`.
    @inlinable
    public static func enums<CEnum: RawRepresentable, Value: ProtoEnum>(
        _ values: UnsafePointer<CEnum>?, count: Int
    ) -> [Value] where CEnum.RawValue: FixedWidthInteger {
        array(values, count: count) { Value(rawValue: enumNumber($0)) }
    }

    /// A singular message field: `nil` when the struct has no submessage.
    @inlinable
    public static func message<Message: ProtoCBridged>(
        _ message: UnsafePointer<Message.CMessage>?
    ) throws(InvalidUTF8) -> Message? {
        guard let message else { return nil }
        return try Message(cMessage: message)
    }

    /// A repeated message field. protobuf-c never stores a `NULL` element; one would read as the
    /// default message.
    @inlinable
    public static func messages<Message: ProtoCBridged>(
        _ messages: UnsafePointer<UnsafeMutablePointer<Message.CMessage>?>?, count: Int
    ) throws(InvalidUTF8) -> [Message] {
        try validatedArray(messages, count: count) { element throws(InvalidUTF8) in
            try message(element) ?? Message()
        }
    }

    /// A map field from protoc-c's array of entry pointers; `entry` reads one key and value. When a
    /// key repeats, the last entry wins, as the protobuf specification requires.
    @inlinable
    public static func map<Entry, Key: Hashable, Value>(
        _ entries: UnsafePointer<UnsafeMutablePointer<Entry>?>?, count: Int,
        _ entry: (UnsafePointer<Entry>) throws(InvalidUTF8) -> (Key, Value)
    ) throws(InvalidUTF8) -> [Key: Value] {
        guard count > 0, let entries else { return [:] }
        var map = [Key: Value](minimumCapacity: count)
        for index in 0..<count {
            guard let element = entries[index] else { continue }
            let (key, value) = try entry(element)
            map[key] = value
        }
        return map
    }
}
