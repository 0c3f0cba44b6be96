import RPC
/// The options of one run, resolved from defaults, the environment and the command line (in
/// that order, later ones winning). Made by `SettingsParser`.
///
/// The typed accessors trap when asked for an option that was not declared, or with the wrong
/// type: both are programming errors in the executable, not configuration errors.
public struct Settings: Sendable {
    /// Where a value came from.
    public enum Source: String, Sendable, Hashable {
        /// The option's declared default.
        case `default`
        /// Its environment variable.
        case environment
        /// The command line.
        case commandLine = "command line"
    }

    /// The declared options, in declaration order.
    public let declarations: [Setting]
    private var values: [String: (value: SettingValue, source: Source)]

    /// Settings holding every option's default.
    init(declarations: [Setting]) {
        self.declarations = declarations
        values = [:]
        for setting in declarations { values[setting.name] = (setting.defaultValue, .default) }
    }

    /// Replaces an option's value.
    mutating func set(_ name: String, to value: SettingValue, from source: Source) {
        values[name] = (value, source)
    }

    /// The value of the option `name` (its flag without dashes).
    public subscript(name: String) -> SettingValue {
        guard let entry = values[name] else { preconditionFailure("option --\(name) was not declared") }
        return entry.value
    }

    /// Where the value of `name` came from.
    public func source(of name: String) -> Source {
        guard let entry = values[name] else { preconditionFailure("option --\(name) was not declared") }
        return entry.source
    }

    /// The value of a text option.
    public func string(_ name: String) -> String {
        guard case .string(let value) = self[name] else { wrongKind(name, .string) }
        return value
    }

    /// The value of a whole-number option.
    public func int(_ name: String) -> Int {
        guard case .int(let value) = self[name] else { wrongKind(name, .int) }
        return value
    }

    /// The value of a duration option.
    public func duration(_ name: String) -> Duration {
        guard case .duration(let value) = self[name] else { wrongKind(name, .duration) }
        return value
    }

    /// The value of a byte-size option, in bytes.
    public func byteSize(_ name: String) -> Int {
        guard case .byteSize(let value) = self[name] else { wrongKind(name, .byteSize) }
        return value
    }

    /// The value of an on/off option.
    public func bool(_ name: String) -> Bool {
        guard case .bool(let value) = self[name] else { wrongKind(name, .bool) }
        return value
    }

    /// The value of an address option.
    public func address(_ name: String) -> SocketAddress {
        guard case .address(let value) = self[name] else { wrongKind(name, .address) }
        return value
    }

    /// Every option as `name → value` text, for a startup log line.
    public var summary: [(name: String, value: String, source: Source)] {
        declarations.map { setting in
            let entry = values[setting.name]!
            return (setting.name, entry.value.description, entry.source)
        }
    }

    private func wrongKind(_ name: String, _ kind: SettingKind) -> Never {
        preconditionFailure("option --\(name) holds a \(self[name].kind.rawValue), not a \(kind.rawValue)")
    }
}
