import BackofficeAPI
import EchoService
import RPC

/// Starts an in-process server on a free loopback port for the length of a test.
public enum TestServer {
    /// Runs `body` with a server hosting `services` (the echo service by default) and shuts the
    /// server down afterwards, also when `body` throws.
    public static func with<T>(
        services: [any RPCService] = [EchoProvider()], group: EventLoopGroup = .shared,
        configure: (inout RPCServer.Configuration) -> Void = { _ in },
        _ body: (RPCServer, SocketAddress) async throws -> T
    ) async throws -> T {
        var configuration = RPCServer.Configuration()
        configure(&configuration)
        let server = RPCServer(configuration: configuration, services: services, group: group)
        let address = try await server.start()
        do {
            let result = try await body(server, address)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// A client of `address` with quick reconnects, closed when `body` ends; its connections
    /// live on `group`'s loops.
    public static func withClient<T>(
        _ address: SocketAddress, group: EventLoopGroup = .shared, configure: (inout RPCClient.Configuration) -> Void = { _ in },
        _ body: (RPCClient) async throws -> T
    ) async throws -> T {
        var configuration = RPCClient.Configuration()
        configuration.backoff.initial = .milliseconds(20)
        configuration.backoff.maximum = .milliseconds(200)
        configure(&configuration)
        let client = RPCClient(target: address, configuration: configuration, group: group)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

/// Builds echo requests tersely in tests.
extension Echo.EchoRequest {
    public static func with(
        payload: [UInt8] = Array("hello".utf8), repeat count: UInt32 = 0, delayMillis: UInt32 = 0,
        failCode: StatusCode? = nil, failMessage: String = ""
    ) -> Echo.EchoRequest {
        var request = Echo.EchoRequest()
        request.payload = payload
        request.repeat = count
        request.delayMillis = delayMillis
        request.failCode = failCode?.rawValue ?? 0
        request.failMessage = failMessage
        return request
    }
}
