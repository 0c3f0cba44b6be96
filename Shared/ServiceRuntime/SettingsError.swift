/// Why the options of a run are not usable: an unknown flag, a missing or bad value. The
/// executable prints `description` on one line and exits with `exitStatus`.
public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The option at fault as typed (`--port`, or the environment variable), `nil` for a stray argument.
    public let option: String?
    /// What was wrong and what is expected, on one line.
    public let message: String

    /// The exit status for a usage error.
    public static let exitStatus: Int32 = 2

    /// An error about `option`.
    public init(option: String?, message: String) {
        self.option = option
        self.message = message
    }

    /// The option and the message: `--port: invalid value "x": not a whole number; expected ...`.
    public var description: String {
        if let option { return "\(option): \(message)" }
        return message
    }
}
