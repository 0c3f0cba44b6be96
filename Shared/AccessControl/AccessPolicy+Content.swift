import BackofficeAPI

extension AccessPolicy {
    /// The content service (content.proto).
    static let content: [MethodRule] = []
}
