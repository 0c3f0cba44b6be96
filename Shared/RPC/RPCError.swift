/// A call that ended with a status other than OK: what handlers throw and what callers catch.
///
/// Printed as `NOT_FOUND: "no user u_123"`. Errors of other types thrown by a handler reach the
/// caller as INTERNAL with a generic message (the server logs the original), unless they conform
/// to `RPCErrorConvertible`.
public struct RPCError: Error, Sendable, CustomStringConvertible {
    public var code: StatusCode
    /// A human-readable explanation.
    public var message: String
    /// Which request fields are invalid and why, for INVALID_ARGUMENT.
    public var fieldViolations: [FieldViolation]
    /// Trailing metadata sent with the status, e.g. `retry-after-ms`.
    public var metadata: Metadata
    /// The underlying error on the side that raised it; never sent over the wire.
    public var cause: (any Error)?

    public init(
        _ code: StatusCode, _ message: String, fieldViolations: [FieldViolation] = [],
        metadata: Metadata = Metadata(), cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.fieldViolations = fieldViolations
        self.metadata = metadata
        self.cause = cause
    }

    /// INVALID_ARGUMENT naming the bad fields; the message lists them too.
    public static func invalidArgument(_ violations: [FieldViolation]) -> RPCError {
        let summary = violations.map { "\($0.field): \($0.description)" }.joined(separator: "; ")
        return RPCError(.invalidArgument, "invalid request: \(summary)", fieldViolations: violations)
    }

    public var description: String {
        var text = "\(code.name): \"\(message)\""
        for violation in fieldViolations { text += " [\(violation.field): \(violation.description)]" }
        return text
    }
}

/// One invalid field of a request.
public struct FieldViolation: Sendable, Hashable {
    /// The field's path in the request: `email`, `address.postal_code`, `lines[2].quantity`.
    public var field: String
    /// What is wrong with it.
    public var description: String

    public init(field: String, description: String) {
        self.field = field
        self.description = description
    }
}

/// A domain error that knows which status it maps to on the wire.
public protocol RPCErrorConvertible: Error {
    /// The status, message and details the caller should see.
    var rpcError: RPCError { get }
}

extension RPCError {
    /// The error as the caller should see it: RPC errors as they are, convertible errors converted,
    /// cancellation as CANCELLED, anything else as INTERNAL without internal details.
    public init(converting error: any Error) {
        switch error {
        case let error as RPCError: self = error
        case let error as any RPCErrorConvertible: self = error.rpcError
        case is CancellationError: self = RPCError(.cancelled, "the call was cancelled", cause: error)
        default: self = RPCError(.internalError, "internal error", cause: error)
        }
    }
}

extension RPCError {
    /// A server's OK ending a call of `method` that expects a response, without one.
    static func okWithoutResponse(_ method: MethodDescriptor) -> RPCError {
        RPCError(.internalError, "the server ended \(method) with OK but no response")
    }

    /// The error a server's STATUS frame carries (`code`, decoded from it, is not OK).
    init(status: Wire.Status, code: StatusCode) {
        self.init(
            code, status.message, fieldViolations: status.details.map { FieldViolation(field: $0.field, description: $0.description) },
            metadata: Metadata(status.metadata))
    }
}
