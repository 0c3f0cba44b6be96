// backoffice-security: the security service, stored in `<data-dir>/security.sqlite`.
import Foundation
import SecurityService
import ServiceRuntime

await ServiceHost.run(
    name: "backoffice-security",
    summary: """
        Security service: login and sessions, authentication of calls, accounts' credentials, roles and \
        permissions, API keys, security events and the audit trail, stored in <data-dir>/security.sqlite.
        """,
    settings: [.dataDirectory(service: "backoffice-security", defaultPath: "./data/security", file: "security.sqlite")],
    defaultPort: 7200
) { settings, logger in
    let path = try settings.preparedDataDirectory(file: "security.sqlite").file
    let core = try await SecurityCore.open(path: path)
    logger.info("database open", ["path": path, "argon2id": core.hashing.hasher.parameters.description])
    return SecurityProviders.all(core: core)
}
