import Foundation
import ProtoRuntime

extension ProtoJSON {
    /// The proto3 JSON form of a message's wire encoding: fields holding their default are left
    /// out (except oneof members), 64-bit integers are strings, enums are names, bytes are base64.
    public static func decode(_ bytes: [UInt8], as schema: MessageSchema) throws(ProtoJSONError) -> JSONValue {
        try ProtoToJSON.message(bytes[...], schema: schema, depth: 0)
    }
}

/// Wire bytes to JSON.
enum ProtoToJSON {
    /// What has been read of one field so far.
    enum Collected {
        case single(JSONValue)
        case list([JSONValue])
        case map([(key: String, value: JSONValue)])
        /// The concatenated payloads of a singular message field (protobuf merges repeats).
        case message([UInt8])
    }

    static func message(_ bytes: ArraySlice<UInt8>, schema: MessageSchema, depth: Int) throws(ProtoJSONError) -> JSONValue {
        guard depth < JSONToProto.maximumDepth else {
            throw ProtoJSONError(path: "", reason: "nested deeper than \(JSONToProto.maximumDepth) levels")
        }
        let fields = schema.fields
        var collected: [UInt32: Collected] = [:]
        var reader = WireReader(bytes)
        while let wire = try reader.nextField() {
            guard let field = fields.first(where: { $0.number == wire.number }) else { continue }  // unknown: skipped
            do {
                try collect(wire, field: field, depth: depth, into: &collected)
            } catch {
                throw error.inside(field.jsonName)
            }
        }
        var members: [(key: String, value: JSONValue)] = []
        for field in fields {
            guard let value = collected[field.number] else { continue }
            switch value {
            case .single(let json):
                if field.isOneofMember || !JSONToProto.isDefault(json, type: field.type) && !isZeroEnum(json, field) {
                    members.append((field.jsonName, json))
                }
            case .list(let values): members.append((field.jsonName, .array(values)))
            case .map(let entries): members.append((field.jsonName, .object(entries)))
            case .message(let payload):
                guard let nested = field.messageSchema else { continue }
                do {
                    members.append((field.jsonName, try message(payload[...], schema: nested, depth: depth + 1)))
                } catch {
                    throw error.inside(field.jsonName)
                }
            }
        }
        return .object(members)
    }

    static func isZeroEnum(_ json: JSONValue, _ field: FieldSchema) -> Bool {
        guard field.type == .enum, case .string(let name) = json else { return false }
        return field.enumSchema?.number(of: name) == 0
    }

    static func collect(
        _ wire: WireField, field: FieldSchema, depth: Int, into collected: inout [UInt32: Collected]
    ) throws(ProtoJSONError) {
        if let entry = field.mapEntry {
            guard wire.type == .lengthDelimited else { throw ProtoJSONError.malformed }
            let (key, value) = try mapEntry(wire.payload, entry: entry, depth: depth)
            var entries: [(key: String, value: JSONValue)] = []
            if case .map(let existing) = collected[field.number] { entries = existing }
            entries.removeAll { $0.key == key }
            entries.append((key, value))
            collected[field.number] = .map(entries)
            return
        }
        if field.type == .message {
            guard wire.type == .lengthDelimited, let schema = field.messageSchema else { throw ProtoJSONError.malformed }
            if field.isRepeated {
                var list: [JSONValue] = []
                if case .list(let existing) = collected[field.number] { list = existing }
                list.append(try message(wire.payload, schema: schema, depth: depth + 1))
                collected[field.number] = .list(list)
            } else {
                var payload: [UInt8] = []
                if case .message(let existing) = collected[field.number] { payload = existing }
                payload.append(contentsOf: wire.payload)
                collected[field.number] = .message(payload)
            }
            return
        }
        var values: [JSONValue] = []
        if wire.type == .lengthDelimited && field.type.wireType != .lengthDelimited {
            // A packed run of scalars.
            var reader = WireReader(wire.payload)
            while !reader.isAtEnd {
                let scalar: UInt64?
                switch field.type.wireType {
                case .varint: scalar = reader.varint()
                case .fixed32: scalar = reader.fixed(4)
                default: scalar = reader.fixed(8)
                }
                guard let scalar else { throw ProtoJSONError.malformed }
                values.append(try self.scalar(bits: scalar, payload: [], field: field))
            }
            guard field.isRepeated else {
                if let last = values.last { collected[field.number] = .single(last) }
                return
            }
        } else {
            guard wire.type == field.type.wireType else { throw ProtoJSONError.malformed }
            values = [try scalar(bits: wire.scalar, payload: wire.payload, field: field)]
        }
        if field.isRepeated {
            var list: [JSONValue] = []
            if case .list(let existing) = collected[field.number] { list = existing }
            collected[field.number] = .list(list + values)
        } else if let last = values.last {
            collected[field.number] = .single(last)
        }
    }

    static func mapEntry(
        _ payload: ArraySlice<UInt8>, entry: MessageSchema, depth: Int
    ) throws(ProtoJSONError) -> (String, JSONValue) {
        let keyField = entry.fields[0]
        let valueField = entry.fields[1]
        var reader = WireReader(payload)
        var key: JSONValue?
        var value: JSONValue?
        while let wire = try reader.nextField() {
            if wire.number == 1 {
                key = try scalar(bits: wire.scalar, payload: wire.payload, field: keyField)
            } else if wire.number == 2 {
                if valueField.type == .message, let schema = valueField.messageSchema {
                    value = try message(wire.payload, schema: schema, depth: depth + 1)
                } else {
                    value = try scalar(bits: wire.scalar, payload: wire.payload, field: valueField)
                }
            }
        }
        let keyText: String
        switch key {
        case .string(let text), .number(let text): keyText = text
        case .bool(let flag): keyText = flag ? "true" : "false"
        default: keyText = keyField.type == .bool ? "false" : keyField.type == .string ? "" : "0"
        }
        return (keyText, value ?? defaultValue(of: valueField))
    }

    static func defaultValue(of field: FieldSchema) -> JSONValue {
        switch field.type {
        case .message: .object([])
        case .bool: .bool(false)
        case .string, .bytes: .string("")
        case .enum: .string(field.enumSchema?.name(of: 0) ?? "0")
        case _ where field.type.isWideInteger: .string("0")
        default: .number("0")
        }
    }

    static func scalar(bits: UInt64, payload: ArraySlice<UInt8>, field: FieldSchema) throws(ProtoJSONError) -> JSONValue {
        switch field.type {
        case .int32: return .number(String(Int32(truncatingIfNeeded: bits)))
        case .sint32:
            let raw = UInt32(truncatingIfNeeded: bits)
            return .number(String(Int32(bitPattern: raw >> 1) ^ -Int32(bitPattern: raw & 1)))
        case .sfixed32: return .number(String(Int32(bitPattern: UInt32(truncatingIfNeeded: bits))))
        case .uint32, .fixed32: return .number(String(UInt32(truncatingIfNeeded: bits)))
        case .int64, .sfixed64: return .string(String(Int64(bitPattern: bits)))
        case .sint64: return .string(String(Int64(bitPattern: bits >> 1) ^ -Int64(bitPattern: bits & 1)))
        case .uint64, .fixed64: return .string(String(bits))
        case .float:
            return floatingPoint(
                Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))),
                text: {
                    Float(bitPattern: UInt32(truncatingIfNeeded: bits)).description
                })
        case .double: return floatingPoint(Double(bitPattern: bits), text: { Double(bitPattern: bits).description })
        case .bool: return .bool(bits != 0)
        case .enum:
            let number = Int32(truncatingIfNeeded: bits)
            return field.enumSchema?.name(of: number).map { .string($0) } ?? .number(String(number))
        case .string:
            guard let text = String(validating: payload, as: UTF8.self) else {
                throw ProtoJSONError(path: "", reason: "a string field holds bytes that are not UTF-8")
            }
            return .string(text)
        case .bytes: return .string(Data(payload).base64EncodedString())
        case .message: throw ProtoJSONError.malformed
        }
    }

    /// A float or double as proto3 JSON writes it: a number, or "NaN" / "Infinity" / "-Infinity".
    static func floatingPoint(_ value: Double, text: () -> String) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        var description = text()
        if description.hasSuffix(".0") { description.removeLast(2) }
        return .number(description)
    }
}
