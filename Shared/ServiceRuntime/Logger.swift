#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import RPC
import Synchronization

/// Structured logging: one JSON object per line, by default on standard error.
///
/// Every line has `ts` (UTC, ISO 8601 with milliseconds), `level`, `process` and `msg`; inside a
/// task serving an RPC it also has `request_id` (when the caller sent one) and `method`, read from
/// `ServerContext.current`; then the logger's own fields (see `with(_:)`) and the line's fields.
///
/// ```swift
/// let log = Logger(process: "backoffice-echo", minimumLevel: .info)
/// log.info("listening", ["address": "127.0.0.1:7001", "workers": 2])
/// ```
///
/// A `Logger` is a cheap value; copies made by `with(_:)` share the sink, the lock and the
/// minimum level. Messages and fields are autoclosures: a disabled level costs one atomic load.
public struct Logger: Sendable {
    /// The process name written in every line.
    public let process: String
    private let output: Output
    /// Fields added to every line, already encoded as `,"key":value` JSON.
    private let encodedFields: String

    /// The state copies of a logger share.
    private final class Output: Sendable {
        let sink: LogSink
        let clock: @Sendable () -> Date
        let minimumLevel: Atomic<UInt8>
        /// Serializes calls to the sink so lines never interleave.
        let lock = Mutex(())

        init(sink: LogSink, clock: @escaping @Sendable () -> Date, minimumLevel: LogLevel) {
            self.sink = sink
            self.clock = clock
            self.minimumLevel = Atomic(minimumLevel.rawValue)
        }
    }

    /// Field names the logger writes itself; a line's field with one of these names is written
    /// with a leading underscore instead (`_msg`), so that no key appears twice.
    public static let reservedKeys: Set<String> = ["ts", "level", "process", "msg", "request_id", "method"]

    /// A logger for `process`, writing lines at `minimumLevel` or above to `sink`; `clock` gives
    /// the time stamps (tests inject a fixed one).
    public init(
        process: String, minimumLevel: LogLevel = .info, sink: LogSink = .standardError,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.process = process
        self.output = Output(sink: sink, clock: clock, minimumLevel: minimumLevel)
        self.encodedFields = ""
    }

    private init(process: String, output: Output, encodedFields: String) {
        self.process = process
        self.output = output
        self.encodedFields = encodedFields
    }

    /// The lowest level written; changing it affects every copy of this logger.
    public var minimumLevel: LogLevel {
        get { LogLevel(rawValue: output.minimumLevel.load(ordering: .relaxed)) ?? .info }
        nonmutating set { output.minimumLevel.store(newValue.rawValue, ordering: .relaxed) }
    }

    /// Whether a line at `level` would be written.
    @inline(__always)
    public func isEnabled(_ level: LogLevel) -> Bool {
        level.rawValue >= output.minimumLevel.load(ordering: .relaxed)
    }

    /// A logger that adds `fields` to every line, e.g. `log.with(["component": "storage"])`.
    public func with(_ fields: KeyValuePairs<String, any Sendable>) -> Logger {
        var encoder = LogLineEncoder()
        for (key, value) in fields { encoder.appendField(key: Self.safeKey(key), value: value) }
        return Logger(process: process, output: output, encodedFields: encodedFields + encoder.finishFragment())
    }

    /// Writes a line at `level` if the level is enabled.
    public func log(
        _ level: LogLevel, _ message: @autoclosure () -> String,
        _ fields: @autoclosure () -> KeyValuePairs<String, any Sendable> = [:]
    ) {
        guard isEnabled(level) else { return }
        write(level, message(), fields())
    }

    /// Writes a line at `level` with fields assembled at run time.
    public func log(_ level: LogLevel, _ message: String, fields: [(key: String, value: any Sendable)]) {
        guard isEnabled(level) else { return }
        write(level, message, fields)
    }

    /// Writes a line about one call from code that runs outside the call's task (a proxy's
    /// immediate handler): `requestID` and `method` fill the fields `ServerContext.current` fills
    /// inside one.
    public func log(
        _ level: LogLevel, _ message: String, requestID: String, method: String, fields: [(key: String, value: any Sendable)]
    ) {
        guard isEnabled(level) else { return }
        write(level, message, fields, call: (requestID, method))
    }

    /// Writes a `debug` line if enabled.
    public func debug(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, any Sendable> = [:]) {
        guard isEnabled(.debug) else { return }
        write(.debug, message(), fields())
    }

    /// Writes an `info` line if enabled.
    public func info(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, any Sendable> = [:]) {
        guard isEnabled(.info) else { return }
        write(.info, message(), fields())
    }

    /// Writes a `warn` line if enabled.
    public func warn(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, any Sendable> = [:]) {
        guard isEnabled(.warn) else { return }
        write(.warn, message(), fields())
    }

    /// Writes an `error` line if enabled.
    public func error(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, any Sendable> = [:]) {
        guard isEnabled(.error) else { return }
        write(.error, message(), fields())
    }

    private func write(
        _ level: LogLevel, _ message: String, _ fields: some Sequence<(key: String, value: any Sendable)>,
        call: (requestID: String, method: String)? = nil
    ) {
        var encoder = LogLineEncoder()
        encoder.beginObject()
        encoder.appendKey("ts")
        encoder.appendTimestamp(output.clock())
        encoder.appendField(key: "level", value: level.name)
        encoder.appendField(key: "process", value: process)
        encoder.appendField(key: "msg", value: message)
        if let call {
            encoder.appendField(key: "request_id", value: call.requestID)
            encoder.appendField(key: "method", value: call.method)
        } else if let context = ServerContext.current {
            if let requestID = context.requestID { encoder.appendField(key: "request_id", value: requestID) }
            encoder.appendField(key: "method", value: context.method.fullName)
        }
        encoder.appendRaw(encodedFields)
        for (key, value) in fields { encoder.appendField(key: Self.safeKey(key), value: value) }
        let line = encoder.finishObject()
        output.lock.withLock { _ in output.sink.write(line) }
    }

    /// `key`, or `_key` when the logger writes a field of that name itself.
    private static func safeKey(_ key: String) -> String {
        reservedKeys.contains(key) ? "_" + key : key
    }
}
