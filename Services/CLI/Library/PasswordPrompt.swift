import Foundation
import Glibc

/// Reads a secret from the terminal without echoing it, or a line from standard input.
enum PasswordPrompt {
    /// The first line of standard input, without its newline (`--password-stdin`).
    static func readStandardInputLine() -> String? {
        guard let line = Swift.readLine(strippingNewline: true) else { return nil }
        return line
    }

    /// Asks on the terminal with echo turned off; `nil` when standard input is not a terminal.
    static func ask(_ prompt: String) -> String? {
        guard isatty(0) != 0 else { return nil }
        StandardErrorLine.write(prompt, newline: false)
        var saved = termios()
        tcgetattr(0, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &silent)
        defer {
            tcsetattr(0, TCSANOW, &saved)
            StandardErrorLine.write("", newline: true)
        }
        return Swift.readLine(strippingNewline: true)
    }

    /// Asks on the terminal with echo on; `nil` when standard input is not a terminal.
    static func askVisibly(_ prompt: String) -> String? {
        guard isatty(0) != 0 else { return nil }
        StandardErrorLine.write(prompt, newline: false)
        return Swift.readLine(strippingNewline: true)
    }
}

/// Prompts go to standard error, so that standard output stays the command's result.
enum StandardErrorLine {
    static func write(_ text: String, newline: Bool) {
        FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
    }
}
