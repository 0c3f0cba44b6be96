import Synchronization

/// The first request of a client-streaming call, kept for its audit record's target.
final class FirstMessage: Sendable {
    private let stored = Mutex<[UInt8]?>(nil)

    /// The first message's bytes, once one arrived.
    var bytes: [UInt8]? { stored.withLock { $0 } }

    /// Keeps `bytes` unless a message was kept already.
    func keep(_ bytes: [UInt8]) {
        stored.withLock { if $0 == nil { $0 = bytes } }
    }
}
