/// A subcommand's arguments: `--name value` and `--name=value` options, `--flag`s, and positional
/// words, checked against what the subcommand accepts so that a typo is an error, not ignored.
public struct Arguments: Sendable {
    /// Option values by name (without dashes); the last one given wins.
    public private(set) var options: [String: String] = [:]
    /// Flags given.
    public private(set) var flags: Set<String> = []
    /// Positional words, in order.
    public private(set) var positionals: [String] = []

    /// Parses `words` for a subcommand taking the options `valued` and the flags `flags`
    /// (`--help` is always a flag); throws `UsageError` for anything else.
    public init(_ words: [String], valued: Set<String>, flags allowedFlags: Set<String> = []) throws(UsageError) {
        var index = 0
        var onlyPositionals = false
        while index < words.count {
            let word = words[index]
            index += 1
            guard !onlyPositionals, word.hasPrefix("--"), word.count > 2 else {
                if word == "--" && !onlyPositionals {
                    onlyPositionals = true
                } else {
                    positionals.append(word)
                }
                continue
            }
            var name = String(word.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if valued.contains(name) {
                if let inlineValue {
                    options[name] = inlineValue
                } else {
                    guard index < words.count else { throw UsageError("--\(name) needs a value") }
                    options[name] = words[index]
                    index += 1
                }
            } else if allowedFlags.contains(name) || name == "help" {
                guard inlineValue == nil else { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
            } else {
                throw UsageError("unknown option --\(name)")
            }
        }
    }

    /// Whether `--help` was given.
    public var wantsHelp: Bool { flags.contains("help") }
}

/// A command line the command does not accept; printed as one line with a pointer to `--help`.
public struct UsageError: Error, CustomStringConvertible {
    /// What is wrong.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}
