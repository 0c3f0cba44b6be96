import CProtobufC

/// A message type as libprotobuf-c describes it (generated descriptors are static C data): its
/// fields, their numbers, types and JSON names. What JSON conversion and reflection walk.
public struct MessageSchema: @unchecked Sendable, Hashable {
    /// The protoc-c descriptor; static, never freed.
    public let descriptor: UnsafePointer<ProtobufCMessageDescriptor>

    /// The schema of the message type `descriptor` describes.
    public init(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) {
        self.descriptor = descriptor
    }

    /// The fully qualified proto name, e.g. `backoffice.orders.Order`.
    public var fullName: String { String(cString: descriptor.pointee.name) }

    /// The fields, in field-number order.
    public var fields: [FieldSchema] {
        (0..<Int(descriptor.pointee.n_fields)).map { FieldSchema(descriptor.pointee.fields + $0) }
    }

    /// The field with this JSON name (`orderId`) or proto name (`order_id`).
    public func field(named name: String) -> FieldSchema? {
        fields.first { $0.jsonName == name || $0.name == name }
    }

    /// The field with this number.
    public func field(number: UInt32) -> FieldSchema? {
        fields.first { $0.number == number }
    }

    /// Whether this is the entry type protoc makes for a `map<K, V>` field: a nested `XxxEntry`
    /// message with exactly `key = 1` and `value = 2`. (protoc-c keeps no map flag, so the shape
    /// decides.)
    public var isMapEntry: Bool {
        let fields = self.fields
        return String(cString: descriptor.pointee.short_name).hasSuffix("Entry") && fields.count == 2
            && fields[0].name == "key" && fields[0].number == 1 && fields[1].name == "value" && fields[1].number == 2
    }

    public static func == (lhs: MessageSchema, rhs: MessageSchema) -> Bool { lhs.descriptor == rhs.descriptor }
    public func hash(into hasher: inout Hasher) { hasher.combine(descriptor) }
}

/// One field of a message type.
public struct FieldSchema: @unchecked Sendable {
    let pointer: UnsafePointer<ProtobufCFieldDescriptor>

    init(_ pointer: UnsafePointer<ProtobufCFieldDescriptor>) {
        self.pointer = pointer
    }

    /// The name in the .proto file, `order_id`.
    public var name: String { String(cString: pointer.pointee.name) }
    /// The proto3 JSON name, `orderId`: underscores dropped, the letter after each capitalised.
    public var jsonName: String { Self.jsonName(of: name) }
    /// The field number.
    public var number: UInt32 { pointer.pointee.id }
    /// The value type.
    public var type: FieldType { FieldType(pointer.pointee.type) }
    /// Whether the field is `repeated` (maps included).
    public var isRepeated: Bool { pointer.pointee.label == PROTOBUF_C_LABEL_REPEATED }
    /// The same for every field of one `oneof` (protoc-c's offset of its case member); meaningful
    /// only when `isOneofMember`.
    public var oneofIdentity: UInt32 { pointer.pointee.quantifier_offset }
    /// Whether the field belongs to a `oneof` (and so is written even when it holds a default).
    public var isOneofMember: Bool { pointer.pointee.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 }

    /// The message type of a message field (or a map's entry type).
    public var messageSchema: MessageSchema? {
        guard type == .message, let raw = pointer.pointee.descriptor else { return nil }
        return MessageSchema(raw.assumingMemoryBound(to: ProtobufCMessageDescriptor.self))
    }

    /// The enum type of an enum field.
    public var enumSchema: EnumSchema? {
        guard type == .enum, let raw = pointer.pointee.descriptor else { return nil }
        return EnumSchema(raw.assumingMemoryBound(to: ProtobufCEnumDescriptor.self))
    }

    /// For a `map<K, V>` field, its entry type; `nil` for every other field.
    public var mapEntry: MessageSchema? {
        guard isRepeated, let entry = messageSchema, entry.isMapEntry else { return nil }
        return entry
    }

    /// protoc's JSON name rule: `f_int32` → `fInt32`, `order_id` → `orderId`.
    public static func jsonName(of protoName: String) -> String {
        var result = ""
        var capitalizeNext = false
        for character in protoName {
            if character == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                result += character.uppercased()
                capitalizeNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }
}

/// An enum type: its values and their names.
public struct EnumSchema: @unchecked Sendable {
    let descriptor: UnsafePointer<ProtobufCEnumDescriptor>

    init(_ descriptor: UnsafePointer<ProtobufCEnumDescriptor>) {
        self.descriptor = descriptor
    }

    /// The fully qualified proto name.
    public var fullName: String { String(cString: descriptor.pointee.name) }

    /// Every value, in declaration order.
    public var values: [(name: String, number: Int32)] {
        (0..<Int(descriptor.pointee.n_values)).map {
            let value = descriptor.pointee.values[$0]
            return (String(cString: value.name), value.value)
        }
    }

    /// The name of a number, or `nil` for a number the enum does not declare.
    public func name(of number: Int32) -> String? {
        values.first { $0.number == number }?.name
    }

    /// The number of a name, or `nil`.
    public func number(of name: String) -> Int32? {
        values.first { $0.name == name }?.number
    }
}

/// The value type of a field, as on the wire.
public enum FieldType: String, Sendable {
    case int32, sint32, sfixed32, int64, sint64, sfixed64, uint32, fixed32, uint64, fixed64
    case float, double, bool, `enum`, string, bytes, message

    init(_ type: ProtobufCType) {
        switch type {
        case PROTOBUF_C_TYPE_INT32: self = .int32
        case PROTOBUF_C_TYPE_SINT32: self = .sint32
        case PROTOBUF_C_TYPE_SFIXED32: self = .sfixed32
        case PROTOBUF_C_TYPE_INT64: self = .int64
        case PROTOBUF_C_TYPE_SINT64: self = .sint64
        case PROTOBUF_C_TYPE_SFIXED64: self = .sfixed64
        case PROTOBUF_C_TYPE_UINT32: self = .uint32
        case PROTOBUF_C_TYPE_FIXED32: self = .fixed32
        case PROTOBUF_C_TYPE_UINT64: self = .uint64
        case PROTOBUF_C_TYPE_FIXED64: self = .fixed64
        case PROTOBUF_C_TYPE_FLOAT: self = .float
        case PROTOBUF_C_TYPE_DOUBLE: self = .double
        case PROTOBUF_C_TYPE_BOOL: self = .bool
        case PROTOBUF_C_TYPE_ENUM: self = .enum
        case PROTOBUF_C_TYPE_STRING: self = .string
        case PROTOBUF_C_TYPE_BYTES: self = .bytes
        default: self = .message
        }
    }

    /// The wire type a single value of this type is written with.
    public var wireType: WireType {
        switch self {
        case .int32, .sint32, .int64, .sint64, .uint32, .uint64, .bool, .enum: .varint
        case .sfixed32, .fixed32, .float: .fixed32
        case .sfixed64, .fixed64, .double: .fixed64
        case .string, .bytes, .message: .lengthDelimited
        }
    }

    /// Whether values of this type are 64-bit integers, which proto3 JSON writes as strings.
    public var isWideInteger: Bool { [.int64, .sint64, .sfixed64, .uint64, .fixed64].contains(self) }
}
