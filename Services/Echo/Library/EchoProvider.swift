import BackofficeAPI
import RPC

/// The echo service: answers with what it was sent. It exists to exercise the RPC stack end to
/// end (tests, the gateway's tests, the benchmark); `delay_millis` and `fail_code` let a caller
/// ask for slow or failing answers.
public struct EchoProvider: Echo.EchoHandler {
    public init() {}

    public func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
        try await Self.obey(request)
        var response = Echo.EchoResponse()
        response.payload = request.payload
        return response
    }

    public func expand(
        _ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext
    ) async throws {
        for index in 0..<request.repeat {
            try await Self.obey(request)
            var response = Echo.EchoResponse()
            response.payload = request.payload
            response.index = index
            try await responses.write(response)
        }
    }

    public func collect(_ requests: RequestStream<Echo.EchoRequest>, context: ServerContext) async throws -> Echo.EchoResponse {
        var response = Echo.EchoResponse()
        for try await request in requests {
            try await Self.obey(request)
            response.payload.append(contentsOf: request.payload)
            response.index += 1
        }
        return response
    }

    /// Waits and fails as the request asks.
    private static func obey(_ request: Echo.EchoRequest) async throws {
        if request.delayMillis > 0 {
            try await Task.sleep(for: .milliseconds(Int(request.delayMillis)))
        }
        if request.failCode != 0 {
            throw RPCError(StatusCode(rawValue: request.failCode), request.failMessage)
        }
    }
}
