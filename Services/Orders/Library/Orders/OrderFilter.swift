import BackofficeAPI
import Storage

/// Which orders a listing or export returns; nil filters match everything.
public struct OrderFilter: Sendable, Equatable {
    /// The prefix of listing page tokens.
    static let pageTokenPrefix = "ol1"

    /// Only orders in this status.
    public var status: Orders.OrderStatus?
    /// Only this customer's orders.
    public var customerID: String?
    /// Created at or after.
    public var createdFromUnixMs: Int64?
    /// Created before.
    public var createdToUnixMs: Int64?
    /// Only the order with this number.
    public var number: String?

    /// A filter with the given criteria.
    public init(
        status: Orders.OrderStatus? = nil, customerID: String? = nil, createdFromUnixMs: Int64? = nil,
        createdToUnixMs: Int64? = nil, number: String? = nil
    ) {
        self.status = status
        self.customerID = customerID
        self.createdFromUnixMs = createdFromUnixMs
        self.createdToUnixMs = createdToUnixMs
        self.number = number
    }

    /// The filter a list request asks for ("0/empty means any"); INVALID_ARGUMENT for bad values.
    public init(request: Orders.ListOrdersRequest) throws {
        var validator = RequestValidator()
        if case .unrecognized = request.status {
            validator.require(false, "status", "is not an order status")
        }
        validator.require(request.createdFromUnixMs >= 0, "created_from_unix_ms", "must not be negative")
        validator.require(request.createdToUnixMs >= 0, "created_to_unix_ms", "must not be negative")
        validator.require(
            request.createdToUnixMs == 0 || request.createdToUnixMs >= request.createdFromUnixMs, "created_to_unix_ms",
            "must not be before created_from_unix_ms")
        validator.text(request.customerId, "customer_id", required: false, maxLength: RequestValidator.maxKeyLength)
        validator.text(request.number, "number", required: false, maxLength: 32)
        validator.pageSize(request.pageSize)
        try validator.check()
        self.init(
            status: request.status == .unspecified ? nil : request.status,
            customerID: request.customerId.isEmpty ? nil : request.customerId,
            createdFromUnixMs: request.createdFromUnixMs == 0 ? nil : request.createdFromUnixMs,
            createdToUnixMs: request.createdToUnixMs == 0 ? nil : request.createdToUnixMs,
            number: request.number.isEmpty ? nil : request.number)
    }

    /// The WHERE clause (and its bindings) for orders below sequence `before`.
    func sql(before: Int64) -> (String, [SQLValue]) {
        var conditions = ["sequence < ?"]
        var bindings: [SQLValue] = [.integer(before)]
        if let status {
            conditions.append("status = ?")
            bindings.append(.integer(Int64(status.rawValue)))
        }
        if let customerID {
            conditions.append("customer_id = ?")
            bindings.append(.text(customerID))
        }
        if let createdFromUnixMs {
            conditions.append("created_at_unix_ms >= ?")
            bindings.append(.integer(createdFromUnixMs))
        }
        if let createdToUnixMs {
            conditions.append("created_at_unix_ms < ?")
            bindings.append(.integer(createdToUnixMs))
        }
        if let number {
            conditions.append("number = ?")
            bindings.append(.text(number))
        }
        return (conditions.joined(separator: " AND "), bindings)
    }
}
