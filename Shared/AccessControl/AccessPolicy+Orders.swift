import BackofficeAPI

extension AccessPolicy {
    /// The orders service (orders.proto).
    static let orders: [MethodRule] = []
}
