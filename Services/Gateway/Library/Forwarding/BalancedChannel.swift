import ProtoRuntime
import RPC

/// A channel over the instances of one route: each call goes to the next healthy instance; with
/// none healthy (or no route at all) it fails at once with UNAVAILABLE. The gateway's own calls
/// to the security service go through it.
public struct BalancedChannel: RPCChannel {
    /// The instances, `nil` when no route covers the service.
    public let group: InstanceGroup?
    /// Named in errors.
    public let service: String

    /// A channel over `group`.
    public init(group: InstanceGroup?, service: String) {
        self.group = group
        self.service = service
    }

    private func instance() throws -> ServiceInstance {
        guard let group else { throw RPCError(.unavailable, "no route for \(service)") }
        guard let instance = group.pick() else { throw RPCError(.unavailable, "no healthy instance of \(service)") }
        return instance
    }

    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions
    ) async throws -> Response {
        try await instance().client.unary(method, request, options: options)
    }

    public func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions,
        onResponse: @escaping @Sendable (Response) async throws -> Void
    ) async throws {
        try await instance().client.serverStreaming(method, request, options: options, onResponse: onResponse)
    }

    public func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, options: CallOptions,
        requests: @escaping @Sendable (RequestWriter<Request>) async throws -> Void
    ) async throws -> Response {
        try await instance().client.clientStreaming(method, options: options, requests: requests)
    }
}
