import BackofficeAPI

extension AccessPolicy {
    /// Health and metrics: launchers and monitors probe them without logging in.
    static let health: [MethodRule] = [
        MethodRule(Health.HealthService.check, .public, readOnly: true),
        MethodRule(Health.HealthService.metrics, .permission(.securityRead), readOnly: true),
    ]

    /// The echo service: a diagnostic any logged-in caller may use.
    static let echo: [MethodRule] = [
        MethodRule(Echo.EchoService.unary, .authenticated, readOnly: true),
        MethodRule(Echo.EchoService.expand, .authenticated, readOnly: true),
        MethodRule(Echo.EchoService.collect, .authenticated, readOnly: true),
    ]

    /// The audit trail: the gateway appends (as a service), auditors read.
    static let audit: [MethodRule] = [
        MethodRule(Audit.AuditService.append, .permission(.suiteInternal), readOnly: false),
        MethodRule(Audit.AuditService.appendBatch, .permission(.suiteInternal), readOnly: false),
        MethodRule(Audit.AuditService.query, .permission(.auditRead), readOnly: true),
        MethodRule(Audit.AuditService.verify, .permission(.auditRead), readOnly: true),
    ]
}
