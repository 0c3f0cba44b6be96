/// What a handler knows about the call it serves: method, metadata, deadline, peer, and values
/// attached by interceptors (such as the verified principal).
///
/// A value type: the call's fields in one shared box, and the values interceptors attached, so
/// that a context handed through every interceptor and captured by every task a call starts costs
/// a reference count or two, and attaching a value allocates its node alone.
public struct ServerContext: Sendable {
    private final class Storage: Sendable {
        let method: MethodDescriptor
        let metadata: Metadata
        let deadline: ContinuousClock.Instant?
        let peer: String
        let callID: UInt32

        init(method: MethodDescriptor, metadata: Metadata, deadline: ContinuousClock.Instant?, peer: String, callID: UInt32) {
            self.method = method
            self.metadata = metadata
            self.deadline = deadline
            self.peer = peer
            self.callID = callID
        }
    }

    /// One attached value and the ones attached before it. Attaching one allocates this node
    /// alone: no array, whose element type's metadata would be looked up at run time per call.
    fileprivate final class AttachedValue: Sendable {
        let key: ObjectIdentifier
        let value: any Sendable
        let earlier: AttachedValue?

        init(key: ObjectIdentifier, value: any Sendable, earlier: AttachedValue?) {
            self.key = key
            self.value = value
            self.earlier = earlier
        }
    }

    private let storage: Storage
    /// Attached values by key type, the latest first: a call has one or two, so a short chain
    /// rather than a table.
    private var values: AttachedValue?

    public var method: MethodDescriptor { storage.method }
    public var metadata: Metadata { storage.metadata }
    /// When the caller stops waiting; the server cancels the handler at that moment.
    public var deadline: ContinuousClock.Instant? { storage.deadline }
    /// The client's address, `host:port`.
    public var peer: String { storage.peer }
    /// The call's id on its connection.
    public var callID: UInt32 { storage.callID }

    public init(
        method: MethodDescriptor, metadata: Metadata, deadline: ContinuousClock.Instant?, peer: String,
        callID: UInt32
    ) {
        storage = Storage(method: method, metadata: metadata, deadline: deadline, peer: peer, callID: callID)
    }

    /// The caller's request id, if it sent one.
    public var requestID: String? { metadata[Metadata.Keys.requestID] }

    /// The time left before the deadline, never negative; `nil` without a deadline.
    public var remainingTime: Duration? {
        deadline.map { max(.zero, ContinuousClock.now.duration(to: $0)) }
    }

    /// A value an interceptor attached to this call.
    /// (Inlinable: specialised for its key where it is used, it looks up no type metadata at run
    /// time, which cost more than the rest when a service attached a principal to every call.)
    @inlinable
    public subscript<Key: ServerContextKey>(key: Key.Type) -> Key.Value? {
        get { value(forKey: ObjectIdentifier(key)) as? Key.Value }
        set { setValue(newValue, forKey: ObjectIdentifier(key)) }
    }

    @usableFromInline
    func value(forKey id: ObjectIdentifier) -> (any Sendable)? {
        var node = values
        while let current = node {
            if current.key == id { return current.value }
            node = current.earlier
        }
        return nil
    }

    @usableFromInline
    mutating func setValue(_ value: (any Sendable)?, forKey id: ObjectIdentifier) {
        // The new value shadows an earlier one under the same key; removing one rebuilds the chain
        // without it (rare: nothing in the suite detaches values).
        if let value {
            values = AttachedValue(key: id, value: value, earlier: values)
        } else if self.value(forKey: id) != nil {
            var kept: [AttachedValue] = []
            var node = values
            while let current = node {
                if current.key != id { kept.append(current) }
                node = current.earlier
            }
            values = kept.reversed().reduce(nil) { AttachedValue(key: $1.key, value: $1.value, earlier: $0) }
        }
    }

    /// This context with `prepared`'s value attached. To a context without values yet (the usual
    /// case) the prepared node itself is attached: nothing is allocated.
    public func attaching<Key: ServerContextKey>(_ prepared: PreparedContextValue<Key>) -> ServerContext {
        var context = self
        if values == nil {
            context.values = prepared.node
        } else {
            context.setValue(prepared.value, forKey: ObjectIdentifier(Key.self))
        }
        return context
    }

    /// The context of the call the current task is serving, if any. Client calls made while serving
    /// a call inherit its remaining time and request id from here.
    @TaskLocal public static var current: ServerContext?
}

/// The key of a typed value that interceptors attach to a `ServerContext`.
public protocol ServerContextKey {
    associatedtype Value: Sendable
}

/// A value made ready once to be attached to many contexts (`ServerContext.attaching`): an
/// interceptor that attaches the same value call after call (one verified principal) allocates
/// nothing per call.
public struct PreparedContextValue<Key: ServerContextKey>: Sendable {
    fileprivate let node: ServerContext.AttachedValue
    /// The value.
    public let value: Key.Value

    /// `value`, under `Key`.
    public init(_ value: Key.Value) {
        self.value = value
        node = ServerContext.AttachedValue(key: ObjectIdentifier(Key.self), value: value, earlier: nil)
    }
}
