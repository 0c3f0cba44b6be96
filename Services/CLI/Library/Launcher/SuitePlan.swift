import Foundation
import ServiceRuntime

/// What `backoffice up` starts: every process of the suite with its port, data folder and the
/// flags that tie them together (the internal key, where each finds the services it calls).
public struct SuitePlan: Sendable {
    /// One process of the suite.
    public struct Member: Sendable, Equatable {
        /// A process called `name`, running `executable` with `arguments` and `environment`,
        /// listening on `port`.
        public init(name: String, executable: String, port: Int, arguments: [String], environment: [String: String] = [:]) {
            self.name = name
            self.executable = executable
            self.port = port
            self.arguments = arguments
            self.environment = environment
        }

        /// The short name used as the log prefix: `security`, `gateway`.
        public var name: String
        /// The executable's file name: `backoffice-security`.
        public var executable: String
        /// The loopback port it listens on (kept across restarts, so the others can find it).
        public var port: Int
        /// Its arguments, `--listen` included.
        public var arguments: [String]
        /// Environment variables set for it on top of the launcher's own: the internal key goes
        /// here (`BACKOFFICE_<NAME>_INTERNAL_KEY`), never on the command line, where any local
        /// user could read it in the process list.
        public var environment: [String: String] = [:]
    }

    /// The services in start order, then the gateway last.
    public var members: [Member]

    /// A plan of exactly these processes (tests supervise other executables this way).
    public init(members: [Member]) {
        self.members = members
    }

    /// The gateway's address.
    public var gatewayAddress: String { "127.0.0.1:\(members.last?.port ?? 0)" }

    /// The plan for a suite in `dataDirectory` whose gateway listens on `gatewayPort`; the
    /// services get the loopback ports `servicePorts` hands out.
    public init(dataDirectory: URL, gatewayPort: Int, internalKeyHex: String, servicePorts: () throws -> Int) rethrows {
        func address(_ port: Int) -> String { "127.0.0.1:\(port)" }
        var members: [Member] = []
        var ports: [String: Int] = [:]
        for name in ["security", "users", "stats", "orders", "content"] {
            let port = try servicePorts()
            ports[name] = port
            var arguments = ["--listen", address(port), "--data-dir", dataDirectory.appendingPathComponent(name).path]
            switch name {
            case "users": arguments += ["--security", address(ports["security"]!)]
            case "orders": arguments += ["--stats", address(ports["stats"]!)]
            default: break
            }
            members.append(
                Member(
                    name: name, executable: "backoffice-\(name)", port: port, arguments: arguments,
                    environment: Self.internalKey(internalKeyHex, for: "backoffice-\(name)")))
        }
        var gateway = ["--listen", address(gatewayPort), "--data-dir", dataDirectory.appendingPathComponent("gateway").path]
        // Which proto packages each process serves (the audit trail lives in the security service).
        let packages = [
            "security": ["backoffice.security", "backoffice.audit"], "users": ["backoffice.users"],
            "stats": ["backoffice.stats"], "orders": ["backoffice.orders"], "content": ["backoffice.content"],
        ]
        let routes = members.flatMap { member in
            (packages[member.name] ?? []).map { "\($0)=\(address(member.port))" }
        }
        gateway += ["--routes", routes.joined(separator: ";")]
        members.append(
            Member(
                name: "gateway", executable: "backoffice-gateway", port: gatewayPort, arguments: gateway,
                environment: Self.internalKey(internalKeyHex, for: "backoffice-gateway")))
        self.members = members
    }

    /// The environment entry that gives `executable` the suite's internal key.
    static func internalKey(_ hex: String, for executable: String) -> [String: String] {
        ["\(ServiceHost.environmentPrefix(of: executable))_INTERNAL_KEY": hex]
    }
}
