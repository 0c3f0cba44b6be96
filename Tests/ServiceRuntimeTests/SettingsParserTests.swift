import RPC
import Testing

@testable import ServiceRuntime

/// The options of a made-up service, one of each type.
private let parser = SettingsParser(
    programName: "backoffice-demo",
    summary: "A demo service.",
    settings: [
        .address("listen", env: "DEMO_LISTEN", default: SocketAddress(host: "127.0.0.1", port: 7001), help: "Where to listen."),
        .string("name", env: "DEMO_NAME", default: "", help: "A name."),
        .int("workers", env: "DEMO_WORKERS", default: 4, help: "How many workers."),
        .duration("drain-timeout", env: "DEMO_DRAIN", default: .seconds(10), help: "Shutdown grace period."),
        .byteSize("max-frame", env: "DEMO_MAX_FRAME", default: 4 << 20, help: "Largest frame."),
        .bool("verbose", env: "DEMO_VERBOSE", default: false, help: "Log more."),
        .bool("metrics", env: nil, default: true, help: "Serve metrics."),
    ])

/// Parses and expects settings, not help.
private func settings(_ arguments: [String], _ environment: [String: String] = [:]) throws -> Settings {
    guard case .settings(let settings) = try parser.parse(arguments: arguments, environment: environment) else {
        Issue.record("expected settings, got help")
        throw SettingsError(option: nil, message: "help")
    }
    return settings
}

/// Parses and expects an error.
private func failure(_ arguments: [String], _ environment: [String: String] = [:]) -> SettingsError? {
    do {
        _ = try parser.parse(arguments: arguments, environment: environment)
        return nil
    } catch {
        return error
    }
}

@Suite struct SettingsParserTests {
    @Test func defaultsApplyWithNothingGiven() throws {
        let s = try settings([])
        #expect(s.address("listen") == SocketAddress(host: "127.0.0.1", port: 7001))
        #expect(s.string("name") == "")
        #expect(s.int("workers") == 4)
        #expect(s.duration("drain-timeout") == .seconds(10))
        #expect(s.byteSize("max-frame") == 4 * 1024 * 1024)
        #expect(s.bool("verbose") == false)
        #expect(s.bool("metrics") == true)
        #expect(s.source(of: "workers") == .default)
    }

    @Test func environmentOverridesDefaultsAndCommandLineOverridesEnvironment() throws {
        let env = ["DEMO_WORKERS": "8", "DEMO_DRAIN": "500ms", "DEMO_VERBOSE": "yes", "DEMO_NAME": "from-env"]
        let s = try settings(["--workers", "16", "--name=cli"], env)
        #expect(s.int("workers") == 16)
        #expect(s.source(of: "workers") == .commandLine)
        #expect(s.string("name") == "cli")
        #expect(s.duration("drain-timeout") == .milliseconds(500))
        #expect(s.source(of: "drain-timeout") == .environment)
        #expect(s.bool("verbose") == true)
    }

    @Test func emptyEnvironmentValueCountsAsUnset() throws {
        let s = try settings([], ["DEMO_WORKERS": ""])
        #expect(s.int("workers") == 4)
    }

    @Test func overriddenBadEnvironmentValueIsNotAnError() throws {
        let s = try settings(["--workers", "2"], ["DEMO_WORKERS": "many"])
        #expect(s.int("workers") == 2)
    }

    @Test func boolFlagsAndNegations() throws {
        #expect(try settings(["--verbose"]).bool("verbose"))
        #expect(try !settings(["--no-metrics"]).bool("metrics"))
        #expect(try !settings(["--verbose=false"]).bool("verbose"))
        #expect(try !settings(["--no-verbose"], ["DEMO_VERBOSE": "true"]).bool("verbose"))
        // A bool flag does not swallow the next argument.
        let s = try settings(["--verbose", "--workers", "3"])
        #expect(s.bool("verbose") && s.int("workers") == 3)
    }

    @Test func laterOccurrenceWins() throws {
        #expect(try settings(["--workers", "1", "--workers=2"]).int("workers") == 2)
    }

    @Test func negativeNumbersAreValuesNotFlags() throws {
        #expect(try settings(["--workers", "-3"]).int("workers") == -3)
    }

    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("10s", .seconds(10)), ("5m", .seconds(300)),
        ("1h30m", .seconds(5400)), ("1.5s", .milliseconds(1500)), ("250us", .microseconds(250)),
        ("250µs", .microseconds(250)), ("7ns", .nanoseconds(7)), ("0", .zero), (" 2s ", .seconds(2)),
    ])
    func durations(text: String, expected: Duration) throws {
        #expect(try settings(["--drain-timeout", text]).duration("drain-timeout") == expected)
    }

    @Test(arguments: [
        ("4MiB", 4 << 20), ("512KiB", 512 << 10), ("512kib", 512 << 10), ("1GB", 1_000_000_000),
        ("100", 100), ("100B", 100), ("1.5KiB", 1536), ("2 MiB", 2 << 20), ("1TiB", 1 << 40),
    ])
    func byteSizes(text: String, expected: Int) throws {
        #expect(try settings(["--max-frame=\(text)"]).byteSize("max-frame") == expected)
    }

    @Test func addresses() throws {
        #expect(try settings(["--listen", "0.0.0.0:0"]).address("listen") == SocketAddress(host: "0.0.0.0", port: 0))
        #expect(try settings(["--listen", "[::1]:8080"]).address("listen") == SocketAddress(host: "::1", port: 8080))
        #expect(try settings(["--listen", "svc.local:65535"]).address("listen").description == "svc.local:65535")
        #expect(SocketAddress(host: "::1", port: 80).description == "[::1]:80")
    }

    @Test func helpWinsEvenNextToMistakes() throws {
        for arguments in [["--help"], ["-h"], ["--bogus", "-h"], ["--workers", "x", "--help"]] {
            guard case .help(let text) = try parser.parse(arguments: arguments, environment: [:]) else {
                Issue.record("no help for \(arguments)")
                continue
            }
            #expect(text.contains("backoffice-demo"))
        }
    }

    @Test func usageListsEveryOptionWithEnvironmentAndDefault() {
        let text = parser.usage()
        #expect(text.hasPrefix("backoffice-demo: A demo service."))
        #expect(text.contains("--listen <host:port>"))
        #expect(text.contains("env DEMO_LISTEN, default 127.0.0.1:7001"))
        #expect(text.contains("--drain-timeout <duration>"))
        #expect(text.contains("default 10s"))
        #expect(text.contains("default 4MiB"))
        #expect(text.contains("--[no-]verbose"))
        #expect(text.contains("[default true]"))
        #expect(text.contains("env DEMO_NAME, default \"\""))
        #expect(text.contains("-h, --help"))
    }

    @Test func unknownOptionIsNamedWithASuggestion() throws {
        let error = try #require(failure(["--wrokers", "3"]))
        #expect(error.option == "--wrokers")
        #expect(error.description.contains("unknown option"))
        #expect(error.description.contains("did you mean --workers?"))
        #expect(SettingsError.exitStatus == 2)
    }

    @Test func missingValueSaysWhatIsExpected() throws {
        let error = try #require(failure(["--drain-timeout"]))
        #expect(error.option == "--drain-timeout")
        #expect(error.message.contains("missing value"))
        #expect(error.message.contains("a duration such as 500ms"))
        let beforeFlag = try #require(failure(["--workers", "--verbose"]))
        #expect(beforeFlag.option == "--workers")
    }

    @Test func badValuesSayWhatWasWrong() throws {
        let int = try #require(failure(["--workers=many"]))
        #expect(int.description == "--workers: invalid value \"many\": not a whole number; expected a whole number such as 8080")
        let huge = try #require(failure(["--workers", "99999999999999999999"]))
        #expect(huge.message.contains("out of range"))
        let sign = try #require(failure(["--workers", "-"]))
        #expect(sign.message.contains("not a whole number"))
        let duration = try #require(failure(["--drain-timeout", "10sec"]))
        #expect(duration.message.contains("unknown unit \"sec\""))
        let noUnit = try #require(failure(["--drain-timeout", "10"]))
        #expect(noUnit.message.contains("missing unit"))
        let negative = try #require(failure(["--drain-timeout", "-1s"]))
        #expect(negative.message.contains("negative"))
        let size = try #require(failure(["--max-frame", "4MiBs"]))
        #expect(size.message.contains("unknown unit"))
        let port = try #require(failure(["--listen", "localhost:70000"]))
        #expect(port.message.contains("0 to 65535"))
        let noPort = try #require(failure(["--listen", "localhost"]))
        #expect(noPort.message.contains("missing ':port'"))
        let bool = try #require(failure(["--verbose=maybe"]))
        #expect(bool.message.contains("not a boolean"))
        let negation = try #require(failure(["--no-verbose=true"]))
        #expect(negation.option == "--no-verbose")
        let overflow = try #require(failure(["--drain-timeout", "999999999999h"]))
        #expect(overflow.message.contains("too large"))
    }

    @Test func badEnvironmentValueNamesTheVariable() throws {
        let error = try #require(failure([], ["DEMO_MAX_FRAME": "lots"]))
        #expect(error.option == "--max-frame")
        #expect(error.message.contains("from environment variable DEMO_MAX_FRAME"))
    }

    @Test func strayArgumentsAreRejected() throws {
        let error = try #require(failure(["serve"]))
        #expect(error.option == nil)
        #expect(error.message.contains("unexpected argument \"serve\""))
    }

    @Test func errorsAreOneLine() throws {
        for arguments in [["--x"], ["--workers"], ["--workers", "q"], ["stray"], ["--listen", "a:b"]] {
            let error = try #require(failure(arguments))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func valuesFormatTheWayTheyParse() throws {
        for value: SettingValue in [
            .duration(.milliseconds(500)), .duration(.seconds(300)), .duration(.microseconds(1500)), .byteSize(4 << 20),
            .byteSize(1000), .address(SocketAddress(host: "::1", port: 9)), .int(-3), .bool(true),
        ] {
            #expect(try SettingValue.parse(value.description, as: value.kind) == value)
        }
    }
}
