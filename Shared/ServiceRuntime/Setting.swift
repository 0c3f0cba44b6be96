import RPC
/// One option an executable accepts: its flag, its environment variable, its default and its
/// help line. The type of the option is the type of its default.
///
/// ```swift
/// let options: [Setting] = [
///     .address("listen", env: "ECHO_LISTEN", default: SocketAddress(host: "127.0.0.1", port: 7001),
///              help: "Where to accept connections."),
///     .duration("drain-timeout", env: "ECHO_DRAIN_TIMEOUT", default: .seconds(10),
///               help: "How long calls in flight may run on shutdown."),
/// ]
/// ```
public struct Setting: Sendable, Hashable {
    /// The long flag without its dashes: `listen` for `--listen`.
    public let name: String
    /// The environment variable that sets the option, e.g. `ECHO_LISTEN`; `nil` for none.
    public let environmentVariable: String?
    /// The value used when neither the environment nor the command line sets the option.
    public let defaultValue: SettingValue
    /// One line for the usage text.
    public let help: String

    /// The type of the option's value.
    public var kind: SettingKind { defaultValue.kind }

    /// An option with its default deciding its type.
    public init(name: String, environmentVariable: String?, defaultValue: SettingValue, help: String) {
        precondition(!name.isEmpty && !name.hasPrefix("-") && !name.contains("="), "bad option name \"\(name)\"")
        precondition(name != "help", "--help is built in")
        self.name = name
        self.environmentVariable = environmentVariable
        self.defaultValue = defaultValue
        self.help = help
    }

    /// A text option.
    public static func string(_ name: String, env: String?, default value: String, help: String) -> Setting {
        Setting(name: name, environmentVariable: env, defaultValue: .string(value), help: help)
    }

    /// A whole-number option.
    public static func int(_ name: String, env: String?, default value: Int, help: String) -> Setting {
        Setting(name: name, environmentVariable: env, defaultValue: .int(value), help: help)
    }

    /// A duration option, written `500ms`, `10s`, `5m`.
    public static func duration(_ name: String, env: String?, default value: Duration, help: String) -> Setting {
        Setting(name: name, environmentVariable: env, defaultValue: .duration(value), help: help)
    }

    /// A byte-size option, written `4MiB`, `512KiB`; the value is a number of bytes.
    public static func byteSize(_ name: String, env: String?, default bytes: Int, help: String) -> Setting {
        Setting(name: name, environmentVariable: env, defaultValue: .byteSize(bytes), help: help)
    }

    /// An on/off option: `--name` / `--no-name` on the command line.
    public static func bool(_ name: String, env: String?, default value: Bool, help: String) -> Setting {
        Setting(name: name, environmentVariable: env, defaultValue: .bool(value), help: help)
    }

    /// A `host:port` option.
    public static func address(_ name: String, env: String?, default value: SocketAddress, help: String) -> Setting {
        Setting(name: name, environmentVariable: env, defaultValue: .address(value), help: help)
    }
}
