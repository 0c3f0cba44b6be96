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
        let strings = MessageSchema(descriptor).fields.filter { $0.type == .string && !$0.isRepeated }
        fieldNumbers =
            strings.filter { $0.name == "id" }.map(\.number)
            + strings.filter { $0.name.hasSuffix("_id") }.map(\.number).sorted()
    }

    /// The target in `bytes` (an encoded request), or "" when none of the fields is set or the
    /// bytes cannot be walked.
    public func target(in bytes: [UInt8]) -> String {
        guard !fieldNumbers.isEmpty else { return "" }
        var found: [UInt32: String] = [:]
        var reader = WireReader(bytes[...])
        while let field = try? reader.next() {
            if field.type == .lengthDelimited, fieldNumbers.contains(field.number) {
                found[field.number] = String(decoding: field.payload, as: UTF8.self)
            }
        }
        for number in fieldNumbers {
            if let value = found[number], !value.isEmpty { return String(value.prefix(512)) }
        }
        return ""
    }
}
