import BackofficeAPI
import EchoService
import RPC

/// An echo service that reports to a probe what its handlers went through: whether they started,
/// finished or were cancelled, and what context they saw. For tests of deadlines, cancellation
/// and disconnects.
public struct ProbeEchoProvider: Echo.EchoHandler {
    public let probe: EventProbe

    public init(probe: EventProbe) { self.probe = probe }

    public func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
        probe.record("started")
        if let requestID = context.requestID { probe.record("request-id:\(requestID)") }
        if let remaining = context.remainingTime {
            probe.record("remaining-ms:\(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)")
        }
        do {
            if request.delayMillis > 0 { try await Task.sleep(for: .milliseconds(Int(request.delayMillis))) }
        } catch {
            probe.record("cancelled")
            throw error
        }
        probe.record("finished")
        var response = Echo.EchoResponse()
        response.payload = request.payload
        return response
    }

    public func expand(
        _ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext
    ) async throws {
        probe.record("started")
        var response = Echo.EchoResponse()
        response.payload = request.payload
        do {
            for index in 0..<request.repeat {
                response.index = index
                try await responses.write(response)
                probe.record("wrote:\(index)")
            }
        } catch {
            probe.record("cancelled")
            throw error
        }
        probe.record("finished")
    }

    public func collect(_ requests: RequestStream<Echo.EchoRequest>, context: ServerContext) async throws -> Echo.EchoResponse {
        probe.record("started")
        var response = Echo.EchoResponse()
        do {
            for try await request in requests {
                response.payload += request.payload
                response.index += 1
                probe.record("received:\(response.index)")
            }
        } catch {
            probe.record("cancelled")
            throw error
        }
        probe.record("finished")
        return response
    }
}
