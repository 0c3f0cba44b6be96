/// How important a log line is. Lines below a logger's minimum level are dropped before any work
/// is done to build them.
public enum LogLevel: UInt8, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Detail for debugging a problem.
    case debug = 0
    /// Normal operation worth recording: startup, shutdown, configuration.
    case info = 1
    /// Something unexpected that the process handled.
    case warn = 2
    /// Something failed.
    case error = 3

    /// The level's name as written in the `level` field: `debug`, `info`, `warn`, `error`.
    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warn: "warn"
        case .error: "error"
        }
    }

    /// The level's name.
    public var description: String { name }

    /// The level named `name` (case-insensitive; `warning` is accepted for `warn`), for a
    /// `--log-level` option.
    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        default: return nil
        }
    }

    /// Orders levels from `debug` to `error`.
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
