import Synchronization

extension Result {
    /// The error of a failure; `nil` for a success.
    var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}

/// Cancels the work a forwarded call has under way (the current attempt, or the credential lookup
/// before it) when the client's call ends first; work started after that is cancelled at once.
final class ForwardingCancellation: Sendable {
    private struct State {
        var cancelCurrent: (@Sendable () -> Void)?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// Makes `cancel` the way to stop the current step.
    func track(_ cancel: @escaping @Sendable () -> Void) {
        let cancelled = state.withLock { state in
            if !state.cancelled { state.cancelCurrent = cancel }
            return state.cancelled
        }
        if cancelled { cancel() }
    }

    func cancel() {
        let current = state.withLock { state in
            state.cancelled = true
            defer { state.cancelCurrent = nil }
            return state.cancelCurrent
        }
        current?()
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }
}

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
