import Dispatch

/// Carries the result of work done on a dispatch queue back to the task awaiting it.
///
/// The result could travel inside the continuation alone, but ThreadSanitizer does not see the
/// happens-before edge of a continuation resumed from a dispatch thread, so every object created
/// on a database queue and used by the caller would be reported as a race. Passing the result
/// through a `Locked` box as well gives TSan a mutex edge it understands (at the cost of one
/// uncontended lock), keeping `swift test --sanitize=thread` free of false reports.
final class ResultHandoff<Value: Sendable>: Sendable {
    private let slot = Locked<Result<Value, any Error>?>(nil)

    /// Runs `start`, which must arrange for `deliver` to be called exactly once (normally from a
    /// dispatch queue), suspends until then and returns or throws the delivered result.
    static func await(_ start: (ResultHandoff<Value>, CheckedContinuation<Void, Never>) -> Void) async throws -> Value {
        let handoff = ResultHandoff<Value>()
        await withCheckedContinuation { continuation in start(handoff, continuation) }
        return try handoff.slot.withLock { stored -> Result<Value, any Error> in
            guard let result = stored else { preconditionFailure("ResultHandoff resumed without a result") }
            stored = nil
            return result
        }.get()
    }

    /// Stores `result` and resumes the waiting task.
    func deliver(_ result: Result<Value, any Error>, resuming continuation: CheckedContinuation<Void, Never>) {
        slot.withLock { $0 = result }
        continuation.resume()
    }
}
