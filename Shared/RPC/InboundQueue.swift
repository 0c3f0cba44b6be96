import Synchronization
import ProtoRuntime

/// The messages of one streaming call that arrived and were not consumed yet: filled by the
/// connection's loop, emptied by the task serving or making the call.
///
/// It counts the bytes it holds and reports every byte that leaves it, taken by the consumer or
/// dropped, so the connection can stop reading from a peer whose messages pile up (bounded memory
/// for slow consumers) and never stays paused for bytes nobody holds any more.
final class InboundQueue: InboundMessageSource, Sendable {
    private struct State: ~Copyable {
        var messages: [(message: any ProtoMessage, size: Int)] = []
        var head = 0
        var end: Result<Void, RPCError>?
        var waiter: CheckedContinuation<(any ProtoMessage)?, any Error>?
    }

    private let state = Mutex(State())
    /// Told how many bytes left the queue (taken or dropped); runs on the thread that took them.
    private let onConsumed: @Sendable (Int) -> Void

    init(onConsumed: @escaping @Sendable (Int) -> Void) {
        self.onConsumed = onConsumed
    }

    /// Adds a message and wakes a waiting consumer; returns false (and keeps nothing) once the
    /// stream has ended.
    @discardableResult
    func push(_ message: any ProtoMessage, size: Int) -> Bool {
        enum Outcome { case queued, handedOver(CheckedContinuation<(any ProtoMessage)?, any Error>), refused }
        let outcome = state.withLock { state -> Outcome in
            guard state.end == nil else { return .refused }
            if let waiter = state.waiter {
                state.waiter = nil
                return .handedOver(waiter)
            }
            state.messages.append((message, size))
            return .queued
        }
        switch outcome {
        case .queued: return true
        case .refused: return false
        case .handedOver(let waiter):
            waiter.resume(returning: message)
            onConsumed(size)
            return true
        }
    }

    /// No more messages: the consumer gets `nil` after the queued ones, or `error` at once (the
    /// queued ones are dropped).
    func finish(_ result: Result<Void, RPCError> = .success(())) {
        let (waiter, dropped) = state.withLock { state -> (CheckedContinuation<(any ProtoMessage)?, any Error>?, Int) in
            guard state.end == nil else { return (nil, 0) }
            state.end = result
            var dropped = 0
            if case .failure = result { dropped = Self.dropAll(&state) }
            defer { state.waiter = nil }
            return (state.waiter, dropped)
        }
        if dropped > 0 { onConsumed(dropped) }
        switch result {
        case .success: waiter?.resume(returning: nil)
        case .failure(let error): waiter?.resume(throwing: error)
        }
    }

    /// The call is over: drops whatever was not consumed and refuses later messages.
    func discard() {
        let dropped = state.withLock { state -> Int in
            if state.end == nil { state.end = .failure(RPCError(.cancelled, "the call has ended")) }
            return Self.dropAll(&state)
        }
        if dropped > 0 { onConsumed(dropped) }
    }

    private static func dropAll(_ state: inout State) -> Int {
        let dropped = state.messages[state.head...].reduce(0) { $0 + $1.size }
        state.messages.removeAll()
        state.head = 0
        return dropped
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
