import Foundation
import RPC
import Synchronization
import Testing

@testable import ServiceRuntime

/// A sink that keeps every line, for inspection.
final class CollectingSink: Sendable {
    private let storage = Mutex<[String]>([])

    /// The lines written so far.
    var lines: [String] { storage.withLock { $0 } }

    /// The sink to hand to a logger.
    var sink: LogSink { LogSink { line in self.storage.withLock { $0.append(line) } } }
}

/// 2024-02-29T23:59:58.123Z.
private let fixedDate = Date(timeIntervalSince1970: 1_709_251_198.123_4)

/// Decodes one line as a JSON object.
private func object(_ line: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(value as? [String: Any])
}

@Suite struct LoggerTests {
    @Test func writesTheStandardFieldsInOrder() throws {
        let collector = CollectingSink()
        let log = Logger(process: "backoffice-test", sink: collector.sink, clock: { fixedDate })
        log.info("started")
        #expect(
            collector.lines == [
                #"{"ts":"2024-02-29T23:59:58.123Z","level":"info","process":"backoffice-test","msg":"started"}"#
            ])
    }

    @Test func extraFieldsKeepTheirTypes() throws {
        let collector = CollectingSink()
        let log = Logger(process: "p", sink: collector.sink, clock: { fixedDate })
        let missing: Int? = nil
        let present: Int? = 7
        log.warn("slow", ["port": 8080, "ratio": 0.5, "ok": true, "name": "x", "none": missing, "some": present, "big": UInt64.max])
        let line = try #require(collector.lines.first)
        #expect(
            line.hasSuffix(#","msg":"slow","port":8080,"ratio":0.5,"ok":true,"name":"x","none":null,"some":7,"big":18446744073709551615}"#))
        let fields = try object(line)
        #expect(fields["level"] as? String == "warn")
    }

    @Test func escapesStrings() throws {
        let collector = CollectingSink()
        let log = Logger(process: "p", sink: collector.sink, clock: { fixedDate })
        let tricky = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} del \u{7F} é 日本 🚀"
        log.error(tricky, ["k\"ey": tricky])
        let line = try #require(collector.lines.first)
        #expect(!line.contains("\n"))
        #expect(line.contains(#"quote \" backslash \\ newline \n tab \t nul \u0000 bell \u0007 del \u007f é 日本 🚀"#))
        let fields = try object(line)
        #expect(fields["msg"] as? String == tricky)
        #expect(fields["k\"ey"] as? String == tricky)
    }

    @Test func dropsLinesBelowTheMinimumLevelWithoutEvaluatingThem() {
        let collector = CollectingSink()
        let log = Logger(process: "p", minimumLevel: .warn, sink: collector.sink, clock: { fixedDate })
        let evaluations = Atomic<Int>(0)
        func expensive() -> String {
            evaluations.add(1, ordering: .relaxed)
            return "expensive"
        }
        log.debug(expensive())
        log.info(expensive(), ["field": expensive()])
        #expect(evaluations.load(ordering: .relaxed) == 0)
        #expect(collector.lines.isEmpty)
        #expect(!log.isEnabled(.info) && log.isEnabled(.warn) && log.isEnabled(.error))

        log.warn(expensive())
        log.minimumLevel = .debug
        log.debug("now visible")
        #expect(collector.lines.count == 2)
        #expect(evaluations.load(ordering: .relaxed) == 1)
    }

    @Test func childLoggersAddTheirFieldsAndShareTheLevel() throws {
        let collector = CollectingSink()
        let log = Logger(process: "p", sink: collector.sink, clock: { fixedDate })
        let storage = log.with(["component": "storage"]).with(["shard": 3])
        storage.info("opened", ["file": "a.db"])
        #expect(collector.lines.last?.hasSuffix(#""msg":"opened","component":"storage","shard":3,"file":"a.db"}"#) == true)
        log.minimumLevel = .error
        storage.info("hidden")
        #expect(collector.lines.count == 1)
    }

    @Test func reservedKeysAreRenamed() throws {
        let collector = CollectingSink()
        let log = Logger(process: "p", sink: collector.sink, clock: { fixedDate })
        log.info("real", ["msg": "fake", "level": "fake"])
        let fields = try object(try #require(collector.lines.first))
        #expect(fields["msg"] as? String == "real")
        #expect(fields["_msg"] as? String == "fake")
        #expect(fields["_level"] as? String == "fake")
    }

    @Test func addsRequestIDAndMethodInsideAServedCall() async throws {
        let collector = CollectingSink()
        let log = Logger(process: "p", sink: collector.sink, clock: { fixedDate })
        let context = FixtureMessage.context(metadata: [Metadata.Keys.requestID: "req-42"])
        await ServerContext.$current.withValue(context) {
            await Task.yield()
            log.info("handling")
        }
        ServerContext.$current.withValue(FixtureMessage.context(metadata: [:])) {
            log.info("no request id")
        }
        log.info("outside")
        let lines = collector.lines
        #expect(lines[0].hasSuffix(#""msg":"handling","request_id":"req-42","method":"backoffice.echo.Echo/Unary"}"#))
        #expect(lines[1].hasSuffix(#""msg":"no request id","method":"backoffice.echo.Echo/Unary"}"#))
        #expect(lines[2].hasSuffix(#""msg":"outside"}"#))
    }

    @Test func timestampsAreUTCWithMilliseconds() throws {
        let collector = CollectingSink()
        let log = Logger(process: "p", sink: collector.sink, clock: { Date(timeIntervalSince1970: 0.007) })
        log.info("epoch")
        #expect(collector.lines.first?.hasPrefix(#"{"ts":"1970-01-01T00:00:00.007Z""#) == true)
        let before = Logger(process: "p", sink: collector.sink, clock: { Date(timeIntervalSince1970: -0.5) })
        before.info("before")
        #expect(collector.lines[1].hasPrefix(#"{"ts":"1969-12-31T23:59:59.500Z""#))
        let now = Logger(process: "p", sink: collector.sink)
        now.info("now")
        let stamp = try #require(try object(collector.lines[2])["ts"] as? String)
        #expect(stamp.count == 24 && stamp.hasSuffix("Z"))
    }

    @Test func concurrentLinesNeverInterleave() async throws {
        let collector = CollectingSink()
        let log = Logger(process: "p", sink: collector.sink)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<500 { log.info("line", ["task": task, "index": index]) }
                }
            }
        }
        let lines = collector.lines
        #expect(lines.count == 4000)
        for line in lines { _ = try object(line) }
    }

    @Test func levelsParseFromNames() {
        #expect(LogLevel(name: "WARNING") == .warn)
        #expect(LogLevel(name: "debug") == .debug)
        #expect(LogLevel(name: "loud") == nil)
        #expect(LogLevel.allCases.map(\.name) == ["debug", "info", "warn", "error"])
    }
}
