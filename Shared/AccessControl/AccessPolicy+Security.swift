import BackofficeAPI

extension AccessPolicy {
    /// The security service (security.proto).
    static let security: [MethodRule] = [
        MethodRule(Security.AuthenticationService.authenticate, .permission(.suiteInternal), readOnly: true),
        MethodRule(Security.AccountsService.createAccount, .permission(.suiteInternal), readOnly: false),
        MethodRule(Security.AccountsService.updateAccount, .permission(.suiteInternal), readOnly: false),
        MethodRule(Security.AccountsService.setAccountStatus, .permission(.suiteInternal), readOnly: false),
        MethodRule(Security.AccountsService.deleteAccount, .permission(.suiteInternal), readOnly: false),
        MethodRule(Security.AccountsService.listAccountRoles, .permission(.suiteInternal), readOnly: true),
    ]
}
