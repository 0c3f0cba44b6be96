import Crypto
import Foundation
import RPC

/// The `main` every executable of the suite shares: parse settings (flags, environment, `--help`),
/// set up logging and metrics, serve the given services plus health and metrics, print where it
/// listens, and shut down gracefully on SIGINT or SIGTERM (a second signal exits at once).
///
/// ```swift
/// await ServiceHost.run(
///     name: "backoffice-echo", summary: "Echoes what it is sent.", settings: [],
///     defaultPort: 7100
/// ) { settings, logger in [EchoProvider()] }
/// ```
public enum ServiceHost {
    /// Settings every executable has, named the same everywhere.
    public static func commonSettings(name: String, defaultPort: Int) -> [Setting] {
        let prefix = environmentPrefix(of: name)
        return [
            .address(
                "listen", env: "\(prefix)_LISTEN", default: SocketAddress(host: "127.0.0.1", port: defaultPort),
                help: "Address to accept connections on (port 0 picks a free port). Loopback by default."),
            .string("log-level", env: "\(prefix)_LOG_LEVEL", default: "info", help: "Lowest level logged: debug, info, warn or error."),
            .byteSize(
                "max-frame-size", env: "\(prefix)_MAX_FRAME_SIZE", default: 4 * 1024 * 1024,
                help: "Largest frame accepted; larger ones close the connection."),
            .int(
                "max-concurrent-calls", env: "\(prefix)_MAX_CONCURRENT_CALLS", default: 100,
                help: "Calls in flight per connection before RESOURCE_EXHAUSTED."),
            .duration("idle-timeout", env: "\(prefix)_IDLE_TIMEOUT", default: .seconds(300), help: "Close connections idle this long."),
            .byteSize(
                "max-buffered-bytes", env: "\(prefix)_MAX_BUFFERED_BYTES", default: 1024 * 1024,
                help: "Bytes queued for a slow reader before its connection stops being read."),
            .duration(
                "shutdown-grace", env: "\(prefix)_SHUTDOWN_GRACE", default: .seconds(10),
                help: "How long calls in flight may finish after SIGINT/SIGTERM."),
            .string(
                "loop-scheduling", env: "\(prefix)_LOOP_SCHEDULING", default: LoopScheduling.batch.rawValue,
                help:
                    "How event loop threads are scheduled: batch (a loop woken by I/O waits for the running thread instead of preempting it; fewer context switches under load) or normal (the kernel's default)."
            ),
            .string(
                "internal-key", env: "\(prefix)_INTERNAL_KEY", default: "",
                help:
                    "The suite's shared 32-byte key (base64 or hex) for gateway signatures; without it, unsigned calls are served."
            ),
        ]
    }

    /// `backoffice-users` → `BACKOFFICE_USERS`.
    public static func environmentPrefix(of name: String) -> String {
        name.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The internal key from `--internal-key` text: `nil` when empty, else 64 hex digits or base64
    /// of 32 bytes; throws for anything else.
    static func parseInternalKey(_ text: String) throws -> SecretKey? {
        guard !text.allSatisfy(\.isWhitespace) else { return nil }
        if let key = try? SecretKey(hex: text) { return key }
        return try SecretKey(base64: text)
    }

    /// Runs the executable until it is told to stop; never returns.
    /// - Parameters:
    ///   - settings: the executable's own options, next to the common ones.
    ///   - verifiesGatewaySignatures: false for the gateway itself, which signs with the internal
    ///     key instead of requiring signatures from its clients.
    ///   - interceptors: run around every handler, after the signature check.
    ///   - makeServices: builds the services once settings and logger are known.
    public static func run(
        name: String, summary: String, settings extra: [Setting] = [], defaultPort: Int,
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        verifiesGatewaySignatures: Bool = true, interceptors: [any ServerInterceptor] = [],
        makeServices: (Settings, Logger) async throws -> [any RPCService]
    ) async -> Never {
        let parser = SettingsParser(
            programName: name, summary: summary, settings: commonSettings(name: name, defaultPort: defaultPort) + extra)
        let settings = parser.parseOrExit(arguments: arguments, environment: environment)
        guard let level = LogLevel.allCases.first(where: { $0.name == settings.string("log-level") }) else {
            StandardStreams.write("\(name): --log-level must be debug, info, warn or error\n", to: StandardStreams.error)
            exit(SettingsError.exitStatus)
        }
        let internalKey: SecretKey?
        do {
            internalKey = try parseInternalKey(settings.string("internal-key"))
        } catch {
            StandardStreams.write(
                "\(name): --internal-key must be 32 bytes as base64 or 64 hex digits\n", to: StandardStreams.error)
            exit(SettingsError.exitStatus)
        }
        guard let scheduling = LoopScheduling(rawValue: settings.string("loop-scheduling")) else {
            StandardStreams.write("\(name): --loop-scheduling must be batch or normal\n", to: StandardStreams.error)
            exit(SettingsError.exitStatus)
        }
        let logger = Logger(process: name, minimumLevel: level)
        if await !EventLoopGroup.shared.setScheduling(scheduling) {
            logger.warn(
                "the kernel refused the event loops' scheduling policy; they run under its default",
                ["loop-scheduling": scheduling.rawValue])
        }
        TerminationSignals.install()

        let metrics = MetricsRegistry()
        let health = HealthProvider(process: name, metrics: metrics)
        var configuration = RPCServer.Configuration()
        configuration.address = settings.address("listen")
        configuration.limits.maxFrameSize = settings.byteSize("max-frame-size")
        configuration.limits.maxConcurrentCalls = settings.int("max-concurrent-calls")
        configuration.limits.idleTimeout = settings.duration("idle-timeout")
        configuration.limits.maxBufferedBytes = settings.byteSize("max-buffered-bytes")
        configuration.shutdownGracePeriod = settings.duration("shutdown-grace")
        configuration.observers = [MetricsObserver(registry: metrics), AccessLogObserver(logger: logger)]
        configuration.interceptors = interceptors
        if !verifiesGatewaySignatures {
            // The gateway: its clients present credentials, not signatures.
        } else if let internalKey {
            configuration.interceptors.insert(TrustedCallerInterceptor(signer: PrincipalSigner(key: internalKey)), at: 0)
        } else {
            logger.warn("no internal key: accepting calls without a gateway signature (development only)")
        }

        let server: RPCServer
        let address: SocketAddress
        do {
            let services = try await makeServices(settings, logger)
            server = RPCServer(configuration: configuration, services: services + [health])
            address = try await server.start()
        } catch {
            logger.error("cannot start", ["error": String(describing: error)])
            exit(1)
        }
        logger.info("listening", ["address": address.description, "version": BackofficeVersion.current])
        // One plain line on standard output so that launchers and tests learn the port.
        StandardStreams.write("LISTENING \(address)\n", to: StandardStreams.output)

        let signals = TerminationSignals.stream()
        var iterator = signals.makeAsyncIterator()
        let first = await iterator.next() ?? SIGTERM
        logger.info("shutting down", ["signal": TerminationSignals.name(of: first)])
        health.markDraining()
        let shutdown = Task { await server.shutdown() }
        let forced = Task {
            if let second = await iterator.next() {
                logger.warn("second signal: exiting at once", ["signal": TerminationSignals.name(of: second)])
                exit(130)
            }
        }
        await shutdown.value
        forced.cancel()
        logger.info("stopped")
        exit(0)
    }
}
