import RPC

/// The service's errors, as the statuses callers see.
public enum OrdersError {
    /// FAILED_PRECONDITION: the request is well formed but the state forbids it.
    public static func failedPrecondition(_ message: String) -> RPCError {
        RPCError(.failedPrecondition, message)
    }

    /// NOT_FOUND for `what` (e.g. "order BO-000001").
    public static func notFound(_ what: String) -> RPCError {
        RPCError(.notFound, "\(what) not found")
    }

    /// INVALID_ARGUMENT naming one field.
    public static func invalid(_ field: String, _ description: String) -> RPCError {
        .invalidArgument([FieldViolation(field: field, description: description)])
    }

    /// INVALID_ARGUMENT for an amount beyond 64-bit minor units.
    public static func overflow(_ field: String) -> RPCError {
        invalid(field, "the amount is too large")
    }
}
