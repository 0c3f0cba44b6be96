// backoffice-security: the security service, stored in `<data-dir>/security.sqlite`.
import Foundation
import SecurityService
import ServiceRuntime

await ServiceHost.run(
    name: "backoffice-security",
    summary: "Security service: the audit trail (backoffice.audit.Audit), stored in <data-dir>/security.sqlite.",
    settings: [.dataDirectory(service: "backoffice-security", defaultPath: "./data/security", file: "security.sqlite")],
    defaultPort: 7200
) { settings, logger in
    let path = try settings.preparedDataDirectory(file: "security.sqlite").file
    let log = try await AuditLog.open(path: path)
    logger.info("database open", ["path": path])
    return [AuditProvider(log: log)]
}
