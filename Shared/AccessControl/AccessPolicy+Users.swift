import BackofficeAPI

extension AccessPolicy {
    /// The users service (users.proto).
    static let users: [MethodRule] = []
}
