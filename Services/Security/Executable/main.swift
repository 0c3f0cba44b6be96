// backoffice-security: the security service. Today it serves the audit trail
// (backoffice.audit.Audit) from `<data-dir>/security.sqlite`.
import Foundation
import SecurityService
import ServiceRuntime

await ServiceHost.run(
    name: "backoffice-security",
    summary: "Security service: the audit trail (backoffice.audit.Audit), stored in <data-dir>/security.sqlite.",
    settings: [
        .string(
            "data-dir", env: "BACKOFFICE_SECURITY_DATA_DIR", default: "./data/security",
            help: "Directory holding security.sqlite; created when missing.")
    ],
    defaultPort: 7200
) { settings, logger in
    let directory = settings.string("data-dir")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = URL(fileURLWithPath: directory).appendingPathComponent("security.sqlite").path
    let log = try await AuditLog.open(path: path)
    logger.info("database open", ["path": path])
    return [AuditProvider(log: log)]
}
