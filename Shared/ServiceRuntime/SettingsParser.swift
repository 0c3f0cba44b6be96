#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// Reads an executable's options from its command line and environment.
///
/// Precedence: default < environment variable < command line. On the command line, options are
/// `--name value` or `--name=value`; on/off options are `--name` / `--no-name` (or
/// `--name=true|false`); `-h` / `--help` asks for the usage text. An environment variable set to
/// the empty string counts as unset. An environment value that the command line overrides is not
/// checked.
///
/// `parse` is pure: the caller passes the arguments and the environment, and decides what to do
/// with help and errors; `parseOrExit` is the usual wiring for an executable's `main`.
public struct SettingsParser: Sendable {
    /// The executable's name, as shown in the usage text and errors.
    public let programName: String
    /// One line saying what the executable does.
    public let summary: String
    /// The options, in the order the usage text lists them.
    public let settings: [Setting]

    private let byName: [String: Setting]

    /// What parsing produced: the settings to run with, or the usage text that was asked for.
    public enum Outcome: Sendable {
        /// Run with these settings.
        case settings(Settings)
        /// `--help` was given: print this text on standard output and exit with status 0.
        case help(String)
    }

    /// A parser for the given options; two options with the same name are a programming error.
    public init(programName: String, summary: String, settings: [Setting]) {
        self.programName = programName
        self.summary = summary
        self.settings = settings
        var byName: [String: Setting] = [:]
        for setting in settings {
            precondition(byName[setting.name] == nil, "option --\(setting.name) is declared twice")
            byName[setting.name] = setting
        }
        self.byName = byName
    }

    /// Resolves the options from `arguments` (without the program name) and `environment`.
    ///
    /// Returns `.help` when `-h` or `--help` appears anywhere among the options (even next to
    /// mistakes); throws the first problem otherwise.
    public func parse(arguments: [String], environment: [String: String]) throws(SettingsError) -> Outcome {
        var fromCommandLine: [(name: String, value: SettingValue)] = []
        var firstError: SettingsError?
        var wantsHelp = false
        var index = 0
        func fail(_ error: SettingsError) { if firstError == nil { firstError = error } }

        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "-h" || argument == "--help" {
                wantsHelp = true
                continue
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                fail(
                    SettingsError(option: nil, message: "unexpected argument \"\(argument)\"; options look like --name value (see --help)"))
                continue
            }
            let body = argument.dropFirst(2)
            let name: String
            let inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
                inlineValue = nil
            }

            if let setting = byName[name] {
                let flag = "--\(name)"
                if setting.kind == .bool {
                    guard let inlineValue else {
                        fromCommandLine.append((name, .bool(true)))
                        continue
                    }
                    switch checked(inlineValue, for: setting, from: flag, origin: "") {
                    case .success(let value): fromCommandLine.append((name, value))
                    case .failure(let error): fail(error)
                    }
                    continue
                }
                let raw: String
                if let inlineValue {
                    raw = inlineValue
                } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                    raw = arguments[index]
                    index += 1
                } else {
                    fail(SettingsError(option: flag, message: "missing value; expected \(setting.kind.expectation)"))
                    continue
                }
                switch checked(raw, for: setting, from: flag, origin: "") {
                case .success(let value): fromCommandLine.append((name, value))
                case .failure(let error): fail(error)
                }
            } else if name.hasPrefix("no-"), let setting = byName[String(name.dropFirst(3))], setting.kind == .bool {
                if inlineValue != nil {
                    fail(SettingsError(option: "--\(name)", message: "takes no value; use --\(setting.name)=true|false to give one"))
                } else {
                    fromCommandLine.append((setting.name, .bool(false)))
                }
            } else {
                var message = "unknown option"
                if let suggestion = closestOption(to: name) { message += "; did you mean --\(suggestion)?" }
                fail(SettingsError(option: "--\(name)", message: message + " (see --help)"))
            }
        }

        if wantsHelp { return .help(usage()) }
        if let firstError { throw firstError }

        var result = Settings(declarations: settings)
        let setOnCommandLine = Set(fromCommandLine.map(\.name))
        for setting in settings {
            guard let variable = setting.environmentVariable, !setOnCommandLine.contains(setting.name),
                let raw = environment[variable], !raw.isEmpty
            else { continue }
            let origin = " (from environment variable \(variable))"
            switch checked(raw, for: setting, from: "--\(setting.name)", origin: origin) {
            case .success(let value): result.set(setting.name, to: value, from: .environment)
            case .failure(let error): throw error
            }
        }
        for (name, value) in fromCommandLine {
            result.set(name, to: value, from: .commandLine)
        }
        return .settings(result)
    }

    /// Parses and, for an executable's `main`: prints the usage text and exits 0 on `--help`,
    /// prints a one-line error on standard error and exits 2 on a usage error.
    public func parseOrExit(
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Settings {
        do {
            switch try parse(arguments: arguments, environment: environment) {
            case .settings(let settings):
                return settings
            case .help(let text):
                StandardStreams.write(text + "\n", to: StandardStreams.output)
                exit(0)
            }
        } catch {
            StandardStreams.write("\(programName): \(error)\n", to: StandardStreams.error)
            exit(SettingsError.exitStatus)
        }
    }

    /// The usage text: the program, its summary, and every option with its environment variable
    /// and default.
    public func usage() -> String {
        var rows: [(left: String, right: String)] = []
        for setting in settings {
            let left: String
            if setting.kind == .bool {
                left = "--[no-]\(setting.name)"
            } else {
                left = "--\(setting.name) \(setting.kind.placeholder)"
            }
            var notes: [String] = []
            if let variable = setting.environmentVariable { notes.append("env \(variable)") }
            notes.append("default \(setting.defaultValue)")
            rows.append((left, "\(setting.help) [\(notes.joined(separator: ", "))]"))
        }
        rows.append(("-h, --help", "Show this help and exit."))
        let width = rows.map(\.left.count).max() ?? 0
        var lines = [
            "\(programName): \(summary)",
            "",
            "Usage: \(programName) [options]",
            "",
            "Options:",
        ]
        for row in rows {
            let padding = String(repeating: " ", count: width - row.left.count + 2)
            lines.append("  \(row.left)\(padding)\(row.right)")
        }
        lines.append("")
        lines.append("Durations: 500ms, 10s, 5m, 1h30m. Sizes: 512KiB, 4MiB, 1GB. Command-line options override the environment.")
        return lines.joined(separator: "\n")
    }

    /// Parses `raw` for `setting`, wrapping a problem into an error naming the option and origin.
    private func checked(_ raw: String, for setting: Setting, from flag: String, origin: String) -> Result<SettingValue, SettingsError> {
        do {
            return .success(try SettingValue.parse(raw, as: setting.kind))
        } catch {
            let message = "invalid value \"\(raw)\"\(origin): \(error.reason); expected \(setting.kind.expectation)"
            return .failure(SettingsError(option: flag, message: message))
        }
    }

    /// The declared option whose name is closest to `name`, if it is close enough to be a typo.
    private func closestOption(to name: String) -> String? {
        var best: (name: String, distance: Int)?
        for setting in settings {
            let distance = editDistance(Array(name), Array(setting.name))
            if distance <= max(1, min(2, setting.name.count / 3)), distance < (best?.distance ?? .max) {
                best = (setting.name, distance)
            }
        }
        return best?.name
    }

    /// The Levenshtein distance between two strings.
    private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
