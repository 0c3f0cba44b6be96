import BackofficeAPI
import Foundation
import RPC
import ServiceRuntime

extension GatewayDefaults {
    /// The gateway's own options, next to the common ones (`--listen`, `--internal-key`, ...).
    public static let settings: [Setting] = {
        let prefix = ServiceHost.environmentPrefix(of: name)
        return [
            .string(
                "routes", env: "\(prefix)_ROUTES", default: "",
                help:
                    "Where services run: name=host:port[,host:port...] entries separated by ';' (name: a package such as backoffice.security, or a full service name)."
            ),
            .string(
                "services-file", env: "\(prefix)_SERVICES_FILE", default: "",
                help: "A file of routes, one name=host:port[,...] per line ('#' comments); added to --routes."),
            Setting.dataDirectory(service: name, defaultPath: "./data/gateway", file: spoolFile),
            .duration(
                "default-deadline", env: "\(prefix)_DEFAULT_DEADLINE", default: .seconds(30), help: "Deadline of calls that set none."),
            .duration(
                "max-deadline", env: "\(prefix)_MAX_DEADLINE", default: .seconds(300),
                help: "Longest deadline a client may set; longer ones are refused with INVALID_ARGUMENT."),
            .int("max-calls-per-principal", env: "\(prefix)_MAX_CALLS_PER_PRINCIPAL", default: 64, help: "Calls in flight per principal."),
            .int("principal-rate", env: "\(prefix)_PRINCIPAL_RATE", default: 500, help: "Calls per second per principal (token bucket)."),
            .int("principal-burst", env: "\(prefix)_PRINCIPAL_BURST", default: 1000, help: "Burst per principal."),
            .int("address-rate", env: "\(prefix)_ADDRESS_RATE", default: 2000, help: "Calls per second per client address."),
            .int("address-burst", env: "\(prefix)_ADDRESS_BURST", default: 4000, help: "Burst per client address."),
            .int(
                "auth-cache-size", env: "\(prefix)_AUTH_CACHE_SIZE", default: 10_000,
                help: "Credentials whose principal is cached (≤ 1 s each)."),
            .duration(
                "health-interval", env: "\(prefix)_HEALTH_INTERVAL", default: .milliseconds(500),
                help: "How often every service instance is health-checked."),
            .int(
                "connections-per-instance", env: "\(prefix)_CONNECTIONS_PER_INSTANCE", default: 0,
                help: "Pooled connections to each instance; 0: one per event-loop thread (one per core), so that no call crosses threads."),
        ]
    }()

    /// The executable's name.
    public static let name = "backoffice-gateway"
    /// The audit spool's file in `--data-dir`.
    public static let spoolFile = "audit-spool.sqlite"
}

/// The gateway's parts, built from its settings: what `main` serves and what tests inspect.
public struct GatewayAssembly: Sendable {
    public let directory: ServiceDirectory
    public let spool: AuditSpool
    public let forwarding: GatewayService
    public let reflection: ReflectionProvider

    /// The services the gateway's server hosts.
    public var services: [any RPCService] { [forwarding, reflection] }

    /// How the gateway connects to each service instance: `connectionsPerInstance` pooled
    /// connections (0 or less: one on each event loop of the shared group), calls kept on the
    /// caller's loop, quick connection attempts and back-off.
    public static func instanceClientConfiguration(connectionsPerInstance: Int) -> RPCClient.Configuration {
        var configuration = RPCClient.Configuration()
        configuration.connections = connectionsPerInstance > 0 ? connectionsPerInstance : EventLoopGroup.shared.loops.count
        configuration.prefersCallersLoop = true
        configuration.connectTimeout = .seconds(1)
        configuration.backoff.initial = .milliseconds(50)
        configuration.backoff.maximum = .milliseconds(500)
        return configuration
    }

    /// Builds every part and starts the health checks and the audit flusher.
    public static func make(settings: Settings, logger: Logger) async throws -> GatewayAssembly {
        var routesText = settings.string("routes")
        let file = settings.string("services-file")
        if !file.isEmpty { routesText += "\n" + (try String(contentsOfFile: file, encoding: .utf8)) }
        let table = try RouteTable(parsing: routesText)
        var limits = GatewayLimits()
        limits.defaultDeadline = settings.duration("default-deadline")
        limits.maximumDeadline = settings.duration("max-deadline")
        limits.maxCallsPerPrincipal = settings.int("max-calls-per-principal")
        limits.principalRate = Double(settings.int("principal-rate"))
        limits.principalBurst = Double(settings.int("principal-burst"))
        limits.addressRate = Double(settings.int("address-rate"))
        limits.addressBurst = Double(settings.int("address-burst"))
        let clientConfiguration = instanceClientConfiguration(connectionsPerInstance: settings.int("connections-per-instance"))
        let signer = ServiceHost.internalSigner(from: settings)
        return try await make(
            table: table, limits: limits, clientConfiguration: clientConfiguration, signer: signer,
            spoolPath: settings.preparedDataDirectory(file: GatewayDefaults.spoolFile).file,
            healthInterval: settings.duration("health-interval"), authCacheSize: settings.int("auth-cache-size"), logger: logger)
    }

    /// Builds every part from explicit values.
    public static func make(
        table: RouteTable, limits: GatewayLimits, clientConfiguration: RPCClient.Configuration, signer: PrincipalSigner?,
        spoolPath: String, healthInterval: Duration, authCacheSize: Int, logger: Logger?
    ) async throws -> GatewayAssembly {
        let directory = ServiceDirectory(table: table, configuration: clientConfiguration, logger: logger)
        func channel(_ service: ServiceDescriptor) -> any RPCChannel {
            SigningChannel(
                BalancedChannel(group: directory.group(for: service.name), service: service.name), signer: signer,
                serviceName: GatewayDefaults.name)
        }
        let authenticator = Authenticator(
            client: Security.AuthenticationClient(channel: channel(Security.AuthenticationService.descriptor)),
            cache: CredentialCache(capacity: authCacheSize))
        let audit = Audit.AuditClient(channel: channel(Audit.AuditService.descriptor))
        let spool = try await AuditSpool.open(path: spoolPath, logger: logger) { records in
            var request = Audit.AppendBatchRequest()
            request.records = records
            _ = try await audit.appendBatch(request, options: CallOptions(timeout: .seconds(5)))
        }
        let gate = CallGate(directory: directory, authenticator: authenticator, signer: signer, limits: limits)
        let forwarding = GatewayService(gate: gate, spool: spool, logger: logger)
        let reflection = ReflectionProvider { directory.group(for: $0) != nil }
        directory.startHealthChecks(every: healthInterval, timeout: limits.healthCheckTimeout)
        spool.startFlushing()
        return GatewayAssembly(directory: directory, spool: spool, forwarding: forwarding, reflection: reflection)
    }
}
