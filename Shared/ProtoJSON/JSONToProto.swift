import Foundation
import ProtoRuntime

/// Converts between proto3 JSON and the protobuf wire encoding of a message, driven by the
/// message's descriptor alone, so that any method of the suite can be called with JSON.
///
/// The proto3 JSON conventions: lowerCamelCase member names (the proto names are accepted too),
/// 64-bit integers as strings (numbers accepted), enums by name (numbers accepted), bytes as
/// base64, maps as objects, `null` for "not set". Unknown members, wrong types and out-of-range
/// numbers are errors naming the member's path.
public enum ProtoJSON {
    /// The wire encoding of the message `json` describes.
    public static func encode(_ json: JSONValue, as schema: MessageSchema) throws(ProtoJSONError) -> [UInt8] {
        var writer = WireWriter()
        try JSONToProto.writeMessage(json, schema: schema, depth: 0, into: &writer)
        return writer.bytes
    }

    /// The wire encoding of the message in JSON text.
    public static func encode(jsonText: String, as schema: MessageSchema) throws(ProtoJSONError) -> [UInt8] {
        let json: JSONValue
        do {
            json = try JSONValue.parse(jsonText)
        } catch {
            throw ProtoJSONError(path: "", reason: error.description)
        }
        return try encode(json, as: schema)
    }
}

/// JSON to wire bytes.
enum JSONToProto {
    static let maximumDepth = 100

    static func writeMessage(
        _ json: JSONValue, schema: MessageSchema, depth: Int, into writer: inout WireWriter
    ) throws(ProtoJSONError) {
        guard depth < maximumDepth else {
            throw ProtoJSONError(path: "", reason: "nested deeper than \(maximumDepth) levels")
        }
        guard case .object(let members) = json else {
            throw ProtoJSONError(path: "", reason: "expected an object for \(schema.fullName), found \(json.kindDescription)")
        }
        var oneofSeen: [String: String] = [:]
        for member in members {
            guard let field = schema.field(named: member.key) else {
                throw ProtoJSONError(path: member.key, reason: "no such field in \(schema.fullName)")
            }
            if case .null = member.value { continue }
            if field.isOneofMember, let other = oneofSeen[String(field.oneofIdentity)] {
                throw ProtoJSONError(path: member.key, reason: "only one of a oneof may be set; \(other) is set too")
            }
            if field.isOneofMember { oneofSeen[String(field.oneofIdentity)] = member.key }
            do {
                try writeField(member.value, field: field, depth: depth, into: &writer)
            } catch {
                throw error.inside(member.key)
            }
        }
    }

    static func writeField(
        _ json: JSONValue, field: FieldSchema, depth: Int, into writer: inout WireWriter
    ) throws(ProtoJSONError) {
        if let entry = field.mapEntry {
            guard case .object(let members) = json else {
                throw ProtoJSONError(path: "", reason: "expected an object (a map), found \(json.kindDescription)")
            }
            let keyField = entry.fields[0]
            let valueField = entry.fields[1]
            for member in members {
                var entryWriter = WireWriter()
                do {
                    try writeSingle(mapKey(member.key, type: keyField.type), field: keyField, depth: depth, into: &entryWriter)
                    if case .null = member.value {
                    } else {
                        try writeSingle(member.value, field: valueField, depth: depth, into: &entryWriter)
                    }
                } catch {
                    throw error.inside("[\(JSONValue.string(member.key).compactText)]")
                }
                writer.tag(field.number, .lengthDelimited)
                writer.lengthDelimited(entryWriter.bytes)
            }
            return
        }
        guard field.isRepeated else {
            if !field.isOneofMember, isDefault(json, type: field.type) { return }
            try writeSingle(json, field: field, depth: depth, into: &writer)
            return
        }
        guard case .array(let elements) = json else {
            throw ProtoJSONError(path: "", reason: "expected an array, found \(json.kindDescription)")
        }
        if field.type.wireType != .lengthDelimited {
            // Packed, as proto3 writes repeated scalars.
            guard !elements.isEmpty else { return }
            var packed = WireWriter()
            for (index, element) in elements.enumerated() {
                do {
                    try writeScalar(element, field: field, into: &packed)
                } catch {
                    throw error.inside("[\(index)]")
                }
            }
            writer.tag(field.number, .lengthDelimited)
            writer.lengthDelimited(packed.bytes)
            return
        }
        for (index, element) in elements.enumerated() {
            do {
                try writeSingle(element, field: field, depth: depth, into: &writer)
            } catch {
                throw error.inside("[\(index)]")
            }
        }
    }

    /// Tag and value of one occurrence.
    static func writeSingle(
        _ json: JSONValue, field: FieldSchema, depth: Int, into writer: inout WireWriter
    ) throws(ProtoJSONError) {
        if field.type == .message, let schema = field.messageSchema {
            var nested = WireWriter()
            try writeMessage(json, schema: schema, depth: depth + 1, into: &nested)
            writer.tag(field.number, .lengthDelimited)
            writer.lengthDelimited(nested.bytes)
            return
        }
        writer.tag(field.number, field.type.wireType)
        try writeScalar(json, field: field, into: &writer)
    }

    /// A scalar value without its tag (length-prefixed for strings and bytes).
    static func writeScalar(_ json: JSONValue, field: FieldSchema, into writer: inout WireWriter) throws(ProtoJSONError) {
        switch field.type {
        case .int32:
            writer.varint(UInt64(bitPattern: Int64(try integer(json, as: Int32.self))))
        case .sint32:
            let value = try integer(json, as: Int32.self)
            writer.varint(UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
        case .sfixed32:
            writer.fixed32(UInt32(bitPattern: try integer(json, as: Int32.self)))
        case .int64:
            writer.varint(UInt64(bitPattern: try integer(json, as: Int64.self)))
        case .sint64:
            let value = try integer(json, as: Int64.self)
            writer.varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
        case .sfixed64:
            writer.fixed64(UInt64(bitPattern: try integer(json, as: Int64.self)))
        case .uint32:
            writer.varint(UInt64(try integer(json, as: UInt32.self)))
        case .fixed32:
            writer.fixed32(try integer(json, as: UInt32.self))
        case .uint64:
            writer.varint(try integer(json, as: UInt64.self))
        case .fixed64:
            writer.fixed64(try integer(json, as: UInt64.self))
        case .float:
            let value = try floatingPoint(json)
            guard value.isNaN || value.isInfinite || abs(value) <= Double(Float.greatestFiniteMagnitude) else {
                throw ProtoJSONError(path: "", reason: "\(value) is out of range for a float")
            }
            writer.fixed32(Float(value).bitPattern)
        case .double:
            writer.fixed64(try floatingPoint(json).bitPattern)
        case .bool:
            guard case .bool(let flag) = json else {
                throw ProtoJSONError(path: "", reason: "expected true or false, found \(json.kindDescription)")
            }
            writer.varint(flag ? 1 : 0)
        case .enum:
            writer.varint(UInt64(bitPattern: Int64(try enumNumber(json, field: field))))
        case .string:
            guard case .string(let text) = json else {
                throw ProtoJSONError(path: "", reason: "expected a string, found \(json.kindDescription)")
            }
            writer.lengthDelimited(Array(text.utf8))
        case .bytes:
            guard case .string(let text) = json, let data = base64Decoded(text) else {
                throw ProtoJSONError(path: "", reason: "expected base64 text, found \(json.kindDescription)")
            }
            writer.lengthDelimited(data)
        case .message:
            throw ProtoJSONError(path: "", reason: "a message is not a scalar")
        }
    }

    /// An integer from a JSON number or numeric string, in range for `T`.
    static func integer<T: FixedWidthInteger>(_ json: JSONValue, as type: T.Type) throws(ProtoJSONError) -> T {
        let text: String
        switch json {
        case .number(let number): text = number
        case .string(let string): text = string
        default: throw ProtoJSONError(path: "", reason: "expected an integer, found \(json.kindDescription)")
        }
        if let value = T(text) { return value }
        // `1e3` and `5.0` are integers written another way.
        if let double = Double(text), double.isFinite, double == double.rounded(), let value = T(exactly: double) {
            return value
        }
        if Double(text) != nil || Int64(text) != nil || UInt64(text) != nil {
            throw ProtoJSONError(path: "", reason: "\(text) is not a whole number in the range of \(T.self)")
        }
        throw ProtoJSONError(path: "", reason: "expected an integer, found \(JSONValue.string(text).compactText)")
    }

    static func floatingPoint(_ json: JSONValue) throws(ProtoJSONError) -> Double {
        switch json {
        case .number(let text):
            if let value = Double(text) { return value }
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        case .string(let text):
            if let value = Double(text), value.isFinite { return value }
        default: break
        }
        throw ProtoJSONError(path: "", reason: "expected a number, found \(json.kindDescription)")
    }

    static func enumNumber(_ json: JSONValue, field: FieldSchema) throws(ProtoJSONError) -> Int32 {
        guard let schema = field.enumSchema else { return 0 }
        switch json {
        case .string(let name):
            guard let number = schema.number(of: name) else {
                let names = schema.values.map(\.name).joined(separator: ", ")
                throw ProtoJSONError(path: "", reason: "\"\(name)\" is not a value of \(schema.fullName) (\(names))")
            }
            return number
        case .number:
            return try integer(json, as: Int32.self)
        default:
            throw ProtoJSONError(path: "", reason: "expected an enum value name, found \(json.kindDescription)")
        }
    }

    /// A map key as JSON gives it (always a string) as a value of the key type.
    static func mapKey(_ key: String, type: FieldType) throws(ProtoJSONError) -> JSONValue {
        switch type {
        case .string: return .string(key)
        case .bool:
            guard key == "true" || key == "false" else {
                throw ProtoJSONError(path: "", reason: "a boolean map key must be \"true\" or \"false\"")
            }
            return .bool(key == "true")
        default: return .string(key)
        }
    }

    /// Whether a JSON value is the proto3 default of `type` (which proto3 does not write).
    static func isDefault(_ json: JSONValue, type: FieldType) -> Bool {
        switch (json, type) {
        case (.bool(false), .bool): true
        case (.string(""), .string), (.string(""), .bytes): true
        case (.number(let text), _): Double(text) == 0 && !text.hasPrefix("-")
        case (.string(let text), _) where type.isWideInteger: text == "0"
        default: false
        }
    }

    /// Standard or URL-safe base64, padded or not.
    static func base64Decoded(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
