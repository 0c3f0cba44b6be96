import RPC

/// Every service the security executable serves, over one core and database.
public enum SecurityProviders {
    /// The handlers of security.proto and audit.proto.
    public static func all(core: SecurityCore) -> [any RPCService] {
        [
            AuthenticationProvider(core: core), AccountsProvider(core: core), SessionsProvider(core: core),
            CredentialsProvider(core: core), RolesProvider(core: core), ApiKeysProvider(core: core),
            SecurityEventsProvider(core: core), AuditProvider(log: AuditLog(database: core.database)),
        ]
    }
}
