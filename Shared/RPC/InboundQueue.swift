import Synchronization
import ProtoRuntime

/// The messages of one streaming call that arrived and were not consumed yet: filled by the
/// connection's loop, emptied by the task serving or making the call.
///
/// It counts the bytes it holds and reports what the consumer takes, so the connection can stop
/// reading from a peer whose messages pile up (bounded memory for slow consumers).
final class InboundQueue: InboundMessageSource, Sendable {
    private struct State: ~Copyable {
        var messages: [(message: any ProtoMessage, size: Int)] = []
        var head = 0
        var end: Result<Void, RPCError>?
        var waiter: CheckedContinuation<(any ProtoMessage)?, any Error>?
    }

    private let state = Mutex(State())
    /// Told how many bytes the consumer took; runs on the consumer's thread.
    private let onConsumed: @Sendable (Int) -> Void

    init(onConsumed: @escaping @Sendable (Int) -> Void) {
        self.onConsumed = onConsumed
    }

    /// Adds a message; wakes a waiting consumer.
    func push(_ message: any ProtoMessage, size: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<(any ProtoMessage)?, any Error>? in
            guard state.end == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.messages.append((message, size))
            return nil
        }
        if let waiter {
            waiter.resume(returning: message)
            onConsumed(size)
        }
    }

    /// No more messages: the consumer gets `nil` after the queued ones, or `error` at once.
    func finish(_ result: Result<Void, RPCError> = .success(())) {
        let waiter = state.withLock { state -> CheckedContinuation<(any ProtoMessage)?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = result
            if case .failure = result { state.messages.removeAll() }
            defer { state.waiter = nil }
            return state.waiter
        }
        switch result {
        case .success: waiter?.resume(returning: nil)
        case .failure(let error): waiter?.resume(throwing: error)
        }
    }

    func next() async throws -> (any ProtoMessage)? {
        enum Immediate { case message(any ProtoMessage, Int), end(Result<Void, RPCError>), wait }
        let immediate = state.withLock { state -> Immediate in
            if state.head < state.messages.count {
                let entry = state.messages[state.head]
                state.head += 1
                if state.head == state.messages.count {
                    state.messages.removeAll(keepingCapacity: true)
                    state.head = 0
                }
                return .message(entry.message, entry.size)
            }
            if let end = state.end { return .end(end) }
            return .wait
        }
        switch immediate {
        case .message(let message, let size):
            onConsumed(size)
            return message
        case .end(let result):
            try result.get()
            return nil
        case .wait:
            try Task.checkCancellation()
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let ready = state.withLock { state -> Result<Void, RPCError>? in
                        if let end = state.end { return end }
                        state.waiter = continuation
                        return nil
                    }
                    switch ready {
                    case .none: break
                    case .success?: continuation.resume(returning: nil)
                    case .failure(let error)?: continuation.resume(throwing: error)
                    }
                }
            } onCancel: {
                finish(.failure(RPCError(.cancelled, "the call was cancelled")))
            }
        }
    }
}
