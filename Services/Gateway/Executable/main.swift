// backoffice-gateway: the suite's front door.
import Gateway
import ServiceRuntime

await ServiceHost.run(
    name: GatewayDefaults.name,
    summary: "The gateway: authenticates, authorizes, limits, routes and audits every call.",
    settings: GatewayDefaults.settings,
    defaultPort: GatewayDefaults.port,
    verifiesGatewaySignatures: false
) { settings, logger in
    if ServiceHost.internalSigner(from: settings) == nil {
        logger.warn("no internal key: forwarding calls unsigned (development only)")
    }
    return try await GatewayAssembly.make(settings: settings, logger: logger).services
}
