import ProtoRuntime

/// Where a stream of outgoing messages goes: the connection, behind the scenes.
protocol OutboundMessageSink: Sendable {
    /// Sends one message; suspends while the peer is slow to read; throws once the call is over.
    func write(_ message: any ProtoMessage) async throws
}

/// Where a stream of incoming messages comes from.
protocol InboundMessageSource: Sendable {
    /// The next message, or `nil` once the peer has finished sending.
    func next() async throws -> (any ProtoMessage)?
}

/// Sends a stream of messages of one type: a server's responses, or a client's requests.
public struct MessageWriter<Message: ProtoMessage>: Sendable {
    let sink: any OutboundMessageSink

    init(sink: any OutboundMessageSink) { self.sink = sink }

    /// Sends one message. Suspends while the peer is slow to read (bounded buffering); throws once
    /// the call has ended (cancelled, deadline passed, connection lost).
    public func write(_ message: Message) async throws {
        try await sink.write(message)
    }
}

/// A server-streaming handler's responses.
public typealias ResponseWriter<Message: ProtoMessage> = MessageWriter<Message>
/// A client-streaming caller's requests.
public typealias RequestWriter<Message: ProtoMessage> = MessageWriter<Message>

/// The requests of a client-streaming call, as they arrive.
public struct RequestStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    let source: any InboundMessageSource

    init(source: any InboundMessageSource) { self.source = source }

    public func makeAsyncIterator() -> Iterator { Iterator(source: source) }

    /// Iterates the requests; ends when the client half-closes, throws when the call fails.
    public struct Iterator: AsyncIteratorProtocol {
        let source: any InboundMessageSource

        public mutating func next() async throws -> Message? {
            guard let message = try await source.next() else { return nil }
            // The core decodes with this method's request type, so the cast cannot fail.
            return message as? Message
        }
    }
}
