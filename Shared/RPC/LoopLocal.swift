import Synchronization

/// One `Value` per event loop, made on first use on that loop and only ever touched there: state
/// kept without a lock because no other thread sees it, such as a cache in front of a shared,
/// locked one. Use it from code that runs on a loop (a connection's callbacks, a relayed call's
/// steps, `ServerInterceptor.interceptImmediately`). Meant for long-lived parts of a server (an
/// interceptor, a gate, an observer): each `LoopLocal` made takes the next slot of a table every
/// loop keeps, indexed without hashing.
public final class LoopLocal<Value: AnyObject>: Sendable {
    @usableFromInline let id: Int
    private let make: @Sendable () -> Value
    /// The loops holding a value of this one, told to drop it when it goes.
    private let loops = Mutex<[EventLoop]>([])

    /// Values made by `make`, one per loop.
    public init(_ make: @escaping @Sendable () -> Value) {
        id = LoopLocalIDs.next.wrappingAdd(1, ordering: .relaxed).newValue
        self.make = make
    }

    /// The value of `loop`; call on `loop` only. (Inlinable, like `current`: specialised where it
    /// is used, finding the value costs a table read and no generic metadata.)
    @inlinable
    public func value(on loop: EventLoop) -> Value {
        if let value = loop.localValue(id) { return unsafeDowncast(value.takeUnretainedValue(), to: Value.self) }
        return makeValue(on: loop)
    }

    /// The value of the loop running the caller; `nil` off the event loops.
    @inlinable
    public var current: Value? {
        EventLoop.withCurrent { value(on: $0) }
    }

    /// What `body` makes of the value of the loop running the caller, which it borrows (the value
    /// is not retained for it, as `current`'s is); `nil` off the event loops. For the lookups made
    /// on every call.
    @inlinable
    public func withCurrent<Result>(_ body: (Value) -> Result) -> Result? {
        EventLoop.withCurrent { withValue(on: $0, body) }
    }

    /// What `body` makes of the value of `loop`, which it borrows; call on `loop` only.
    @inlinable
    public func withValue<Result>(on loop: EventLoop, _ body: (Value) -> Result) -> Result {
        guard let stored = loop.localValue(id) else { return body(makeValue(on: loop)) }
        return stored._withUnsafeGuaranteedRef { body(unsafeDowncast($0, to: Value.self)) }
    }

    /// Makes `loop`'s value (its first use there).
    @usableFromInline
    func makeValue(on loop: EventLoop) -> Value {
        let value = make()
        loop.setLocalValue(value, id)
        loops.withLock { $0.append(loop) }
        return value
    }

    deinit {
        let id = id
        for loop in loops.withLock({ $0 }) { loop.execute { loop.removeLocal(id) } }
    }
}

/// The source of `LoopLocal` ids: unique for the process's life, so that a value is never found
/// under the id of another, later `LoopLocal`.
private enum LoopLocalIDs {
    static let next = Atomic<Int>(0)
}
