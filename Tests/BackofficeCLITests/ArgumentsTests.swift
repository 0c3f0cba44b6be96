import BackofficeCLI
import Testing

/// Subcommand options: values, flags, positionals, and typos refused.
@Suite struct ArgumentsTests {
    @Test func optionsFlagsAndPositionals() throws {
        let arguments = try Arguments(
            ["m", "--data", "{}", "--gateway=h:1", "--compact", "--", "--literal"], valued: ["data", "gateway"],
            flags: ["compact"])
        #expect(arguments.options == ["data": "{}", "gateway": "h:1"])
        #expect(arguments.flags == ["compact"])
        #expect(arguments.positionals == ["m", "--literal"])
        #expect(!arguments.wantsHelp)
        #expect(try Arguments(["--help"], valued: []).wantsHelp)
    }

    @Test(arguments: [
        (["--nope"], "unknown option --nope"), (["--data"], "--data needs a value"),
        (["--compact=yes"], "--compact takes no value"),
    ])
    func mistakesAreUsageErrors(words: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try Arguments(words, valued: ["data"], flags: ["compact"]) }
        #expect(error?.description == message)
    }
}
