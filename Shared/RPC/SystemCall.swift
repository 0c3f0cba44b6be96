import Glibc

/// A system call failed: which call, with which errno.
public struct IOError: Error, Sendable, CustomStringConvertible {
    /// The call's name, e.g. `connect`.
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The result of a non-blocking system call.
enum IOResult<Value> {
    case done(Value)
    /// EAGAIN / EWOULDBLOCK / EINPROGRESS: try again when the descriptor is ready.
    case wouldBlock
}

/// Runs a system call that returns -1 and sets errno on failure: retries EINTR, reports EAGAIN as
/// `.wouldBlock`, throws `IOError` for anything else.
@inline(__always)
func systemCall<T: BinaryInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(IOError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let error = Glibc.errno
        switch error {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK, EINPROGRESS: return .wouldBlock
        default: throw IOError(name(), errno: error)
        }
    }
}

/// Like `systemCall`, for calls that never legitimately block.
@inline(__always)
@discardableResult
func blockingSystemCall<T: BinaryInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(IOError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let error = Glibc.errno
        if error == EINTR { continue }
        throw IOError(name(), errno: error)
    }
}
