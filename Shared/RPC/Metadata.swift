/// Per-call key-value pairs sent with a call (authorization, request id, caller...) or with its
/// status (trailers). Keys are case-insensitive and stored lower-case.
public struct Metadata: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    public typealias Key = String
    public typealias Value = String

    /// The pairs, keys lower-cased.
    public private(set) var entries: [String: String]

    public init() { entries = [:] }

    public init(_ entries: [String: String]) {
        self.entries = [:]
        for (key, value) in entries { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// The value for a key, whatever its case.
    public subscript(key: String) -> String? {
        get { entries[key.lowercased()] }
        set { entries[key.lowercased()] = newValue }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    public func makeIterator() -> Dictionary<String, String>.Iterator { entries.makeIterator() }

    /// Well-known keys.
    public enum Keys {
        /// The caller's credential: `Bearer <session token>` or `ApiKey <key>`.
        public static let authorization = "authorization"
        /// A caller-chosen id that follows the call through logs and downstream calls.
        public static let requestID = "request-id"
        /// With RESOURCE_EXHAUSTED: how long to wait before trying again, in milliseconds.
        public static let retryAfterMillis = "retry-after-ms"
    }
}
