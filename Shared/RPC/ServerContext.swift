/// What a handler knows about the call it serves: method, metadata, deadline, peer, and values
/// attached by interceptors (such as the verified principal).
public struct ServerContext: Sendable {
    public let method: MethodDescriptor
    public let metadata: Metadata
    /// When the caller stops waiting; the server cancels the handler at that moment.
    public let deadline: ContinuousClock.Instant?
    /// The client's address, `host:port`.
    public let peer: String
    /// The call's id on its connection.
    public let callID: UInt32
    private var values: [ObjectIdentifier: any Sendable] = [:]

    public init(
        method: MethodDescriptor, metadata: Metadata, deadline: ContinuousClock.Instant?, peer: String,
        callID: UInt32
    ) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
        self.callID = callID
    }

    /// The caller's request id, if it sent one.
    public var requestID: String? { metadata[Metadata.Keys.requestID] }

    /// The time left before the deadline, never negative; `nil` without a deadline.
    public var remainingTime: Duration? {
        deadline.map { max(.zero, ContinuousClock.now.duration(to: $0)) }
    }

    /// A value an interceptor attached to this call.
    public subscript<Key: ServerContextKey>(key: Key.Type) -> Key.Value? {
        get { values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }

    /// The context of the call the current task is serving, if any. Client calls made while serving
    /// a call inherit its remaining time and request id from here.
    @TaskLocal public static var current: ServerContext?
}

/// The key of a typed value that interceptors attach to a `ServerContext`.
public protocol ServerContextKey {
    associatedtype Value: Sendable
}
