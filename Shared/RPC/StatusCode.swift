/// A call's outcome, with gRPC's numbers and meanings. A struct rather than an enum so that a
/// code this build does not know (sent by a newer peer) survives a round trip.
public struct StatusCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The call succeeded.
    public static let ok = StatusCode(rawValue: 0)
    /// The caller cancelled the call.
    public static let cancelled = StatusCode(rawValue: 1)
    /// An error that fits no other code.
    public static let unknown = StatusCode(rawValue: 2)
    /// The request is invalid whatever the system's state: see the field details.
    public static let invalidArgument = StatusCode(rawValue: 3)
    /// The deadline passed before the call finished.
    public static let deadlineExceeded = StatusCode(rawValue: 4)
    /// The thing the request names does not exist.
    public static let notFound = StatusCode(rawValue: 5)
    /// The thing the request would create exists already.
    public static let alreadyExists = StatusCode(rawValue: 6)
    /// The caller is known but lacks the permission.
    public static let permissionDenied = StatusCode(rawValue: 7)
    /// A limit was reached: rate, size, concurrent calls. Trailers may say when to retry.
    public static let resourceExhausted = StatusCode(rawValue: 8)
    /// The system is not in the state the request needs (invalid transition, not enough stock).
    public static let failedPrecondition = StatusCode(rawValue: 9)
    /// A concurrency conflict: a stale version, a lost race. Retrying from a fresh read may work.
    public static let aborted = StatusCode(rawValue: 10)
    /// A value outside its valid range (a page past the end).
    public static let outOfRange = StatusCode(rawValue: 11)
    /// The server does not implement the method.
    public static let unimplemented = StatusCode(rawValue: 12)
    /// A bug or broken invariant on the server; details are in its logs, not in the message.
    public static let internalError = StatusCode(rawValue: 13)
    /// The service cannot be reached or is shutting down; retrying later may work.
    public static let unavailable = StatusCode(rawValue: 14)
    /// Unrecoverable data loss or corruption.
    public static let dataLoss = StatusCode(rawValue: 15)
    /// The caller did not prove who it is (no, bad or expired credential).
    public static let unauthenticated = StatusCode(rawValue: 16)

    /// Every code defined by gRPC, in numeric order.
    public static let allKnown: [StatusCode] = (0...16).map { StatusCode(rawValue: Int32($0)) }

    /// The upper-case name used in logs, metrics and by the command-line client: `NOT_FOUND`.
    public var name: String {
        switch rawValue {
        case 0: "OK"
        case 1: "CANCELLED"
        case 2: "UNKNOWN"
        case 3: "INVALID_ARGUMENT"
        case 4: "DEADLINE_EXCEEDED"
        case 5: "NOT_FOUND"
        case 6: "ALREADY_EXISTS"
        case 7: "PERMISSION_DENIED"
        case 8: "RESOURCE_EXHAUSTED"
        case 9: "FAILED_PRECONDITION"
        case 10: "ABORTED"
        case 11: "OUT_OF_RANGE"
        case 12: "UNIMPLEMENTED"
        case 13: "INTERNAL"
        case 14: "UNAVAILABLE"
        case 15: "DATA_LOSS"
        case 16: "UNAUTHENTICATED"
        default: "CODE_\(rawValue)"
        }
    }

    /// The code with this name (`NOT_FOUND`), if it is one of gRPC's.
    public init?(name: String) {
        guard let code = Self.allKnown.first(where: { $0.name == name }) else { return nil }
        self = code
    }

    public var description: String { name }
}
