/// Where a logger's lines go. A sink receives one complete JSON object per call, without the line
/// break; the logger calls it under its lock, so a sink never sees two lines at once.
public struct LogSink: Sendable {
    /// Receives one line.
    public let write: @Sendable (String) -> Void

    /// A sink that hands each line to `write`.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Standard error, one line per `write(2)`.
    public static let standardError = LogSink { line in
        StandardStreams.write(line + "\n", to: StandardStreams.error)
    }
}
