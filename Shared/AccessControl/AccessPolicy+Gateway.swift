import BackofficeAPI

extension AccessPolicy {
    /// The gateway's own reflection: public, because a command-line client needs the descriptors
    /// to encode its login request before it holds a token.
    static let gateway: [MethodRule] = [
        MethodRule(Gateway.ReflectionService.listServices, .public, readOnly: true)
    ]
}
