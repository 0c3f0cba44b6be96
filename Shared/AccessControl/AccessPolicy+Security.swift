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

        MethodRule(Security.SessionsService.login, .public, readOnly: false),
        MethodRule(Security.SessionsService.logout, .authenticated, readOnly: false),
        MethodRule(Security.SessionsService.listMySessions, .authenticated, readOnly: true),
        MethodRule(Security.SessionsService.whoAmI, .authenticated, readOnly: true),
        MethodRule(Security.SessionsService.revokeMySession, .authenticated, readOnly: false),
        MethodRule(Security.SessionsService.listSessions, .permission(.securityRead), readOnly: true),
        MethodRule(Security.SessionsService.revokeSessions, .permission(.securityManage), readOnly: false),

        MethodRule(Security.CredentialsService.changePassword, .authenticated, readOnly: false),
        MethodRule(Security.CredentialsService.resetPassword, .permission(.securityManage), readOnly: false),
        MethodRule(Security.CredentialsService.unlockAccount, .permission(.securityManage), readOnly: false),

        MethodRule(Security.RolesService.listPermissions, .permission(.securityRead), readOnly: true),
        MethodRule(Security.RolesService.listRoles, .permission(.securityRead), readOnly: true),
        MethodRule(Security.RolesService.createRole, .permission(.securityManage), readOnly: false),
        MethodRule(Security.RolesService.updateRole, .permission(.securityManage), readOnly: false),
        MethodRule(Security.RolesService.deleteRole, .permission(.securityManage), readOnly: false),
        MethodRule(Security.RolesService.assignRole, .permission(.securityManage), readOnly: false),
        MethodRule(Security.RolesService.revokeRole, .permission(.securityManage), readOnly: false),
        MethodRule(Security.RolesService.getEffectivePermissions, .permission(.securityRead), readOnly: true),

        MethodRule(Security.ApiKeysService.createApiKey, .permission(.securityManage), readOnly: false),
        MethodRule(Security.ApiKeysService.listApiKeys, .permission(.securityRead), readOnly: true),
        MethodRule(Security.ApiKeysService.revokeApiKey, .permission(.securityManage), readOnly: false),

        MethodRule(Security.SecurityEventsService.listSecurityEvents, .permission(.securityRead), readOnly: true),
    ]
}
