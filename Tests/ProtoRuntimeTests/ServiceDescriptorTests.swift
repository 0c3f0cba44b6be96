import BackofficeAPI
import ProtoRuntime
import RPC
import Synchronization
import Testing

/// The generated method descriptors, handler protocols and clients describe the .proto services.
@Suite struct ServiceDescriptorTests {
    @Test func echoService() {
        let service = Echo.EchoService.descriptor
        #expect(service.name == "backoffice.echo.Echo")
        #expect(
            service.methods.map(\.fullName) == [
                "backoffice.echo.Echo/Unary", "backoffice.echo.Echo/Expand", "backoffice.echo.Echo/Collect",
            ])
        #expect(service.methods.map(\.name) == ["Unary", "Expand", "Collect"])
        #expect(service.methods.map(\.service) == Array(repeating: "backoffice.echo.Echo", count: 3))
        #expect(service.methods.map(\.kind) == [.unary, .serverStreaming, .clientStreaming])
        #expect(service.methods == [Echo.EchoService.unary, Echo.EchoService.expand, Echo.EchoService.collect])
        for method in service.methods {
            #expect(ObjectIdentifier(method.requestType) == ObjectIdentifier(Echo.EchoRequest.self))
            #expect(ObjectIdentifier(method.responseType) == ObjectIdentifier(Echo.EchoResponse.self))
        }
    }

    @Test func otherServices() {
        let kinds = BackofficeTesting.KindsService.descriptor
        #expect(kinds.name == "backoffice.testing.Kinds")
        #expect(
            kinds.methods.map(\.fullName) == [
                "backoffice.testing.Kinds/Unary", "backoffice.testing.Kinds/ServerStream",
                "backoffice.testing.Kinds/ClientStream",
            ])
        #expect(kinds.methods.map(\.kind) == [.unary, .serverStreaming, .clientStreaming])
        #expect(
            ObjectIdentifier(BackofficeTesting.KindsService.clientStream.responseType)
                == ObjectIdentifier(BackofficeTesting.Empty.self))

        let health = Health.HealthService.descriptor
        #expect(
            health.methods.map(\.fullName) == ["backoffice.health.Health/Check", "backoffice.health.Health/Metrics"])
        #expect(health.methods.map(\.kind) == [.unary, .unary])
        #expect(ObjectIdentifier(Health.HealthService.check.requestType) == ObjectIdentifier(Health.CheckRequest.self))
        #expect(
            ObjectIdentifier(Health.HealthService.metrics.responseType) == ObjectIdentifier(Health.MetricsResponse.self)
        )
    }

    /// A handler gets the service descriptor and one method handler per method, in order; building
    /// them checks each method's kind and request type (MethodHandler's preconditions).
    @Test func handlerProtocol() {
        #expect(EchoImplementation.serviceDescriptor == Echo.EchoService.descriptor)
        #expect(EchoImplementation().methodHandlers.map(\.method) == Echo.EchoService.descriptor.methods)
    }

    /// Each client method calls the channel with its method's descriptor.
    @Test func clientCallsThroughTheChannel() async throws {
        let channel = RecordingChannel()
        let client = Echo.EchoClient(channel: channel)
        var request = Echo.EchoRequest()
        request.payload = [1, 2, 3]
        let response = try await client.unary(request)
        #expect(response == Echo.EchoResponse())
        try await client.expand(request) { _ in }
        _ = try await client.collect { _ in }
        #expect(
            channel.calls == [
                "unary backoffice.echo.Echo/Unary", "serverStreaming backoffice.echo.Echo/Expand",
                "clientStreaming backoffice.echo.Echo/Collect",
            ])
    }
}

/// An Echo server that only needs to compile and hand out its method handlers.
struct EchoImplementation: Echo.EchoHandler {
    func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
        var response = Echo.EchoResponse()
        response.payload = request.payload
        return response
    }

    func expand(
        _ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext
    ) async throws {}

    func collect(
        _ requests: RequestStream<Echo.EchoRequest>, context: ServerContext
    ) async throws -> Echo.EchoResponse {
        Echo.EchoResponse()
    }
}

/// A channel that records which calls it carried and answers with default messages.
final class RecordingChannel: RPCChannel {
    private let recorded = Mutex<[String]>([])

    var calls: [String] { recorded.withLock { $0 } }

    func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions
    ) async throws -> Response {
        recorded.withLock { $0.append("unary \(method.fullName)") }
        return Response()
    }

    func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions,
        onResponse: @escaping @Sendable (Response) async throws -> Void
    ) async throws {
        recorded.withLock { $0.append("serverStreaming \(method.fullName)") }
        try await onResponse(Response())
    }

    func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, options: CallOptions,
        requests: @escaping @Sendable (RequestWriter<Request>) async throws -> Void
    ) async throws -> Response {
        recorded.withLock { $0.append("clientStreaming \(method.fullName)") }
        return Response()
    }
}
