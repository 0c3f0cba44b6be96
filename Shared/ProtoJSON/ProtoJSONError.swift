import ProtoRuntime

/// Why JSON could not become a message (or bytes could not become JSON): where, and what was wrong.
public struct ProtoJSONError: Error, Equatable, CustomStringConvertible {
    /// Where in the JSON document: `lines[2].quantity`; empty for the message itself.
    public var path: String
    /// What was wrong there, e.g. `expected a number, found a string`.
    public var reason: String

    /// An error at `path`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }

    /// The same error one level down: `field` (or `field[3]`) becomes the path's first component.
    func inside(_ component: String) -> ProtoJSONError {
        guard !path.isEmpty else { return ProtoJSONError(path: component, reason: reason) }
        let separator = path.hasPrefix("[") ? "" : "."
        return ProtoJSONError(path: component + separator + path, reason: reason)
    }
}

extension ProtoJSONError {
    /// Bytes that are not a protobuf encoding.
    static let malformed = ProtoJSONError(path: "", reason: "the bytes are not a valid protobuf message")
}

extension WireReader {
    /// The next field, with malformed bytes reported as `ProtoJSONError.malformed`.
    mutating func nextField() throws(ProtoJSONError) -> WireField? {
        do {
            return try next()
        } catch {
            throw .malformed
        }
    }
}
