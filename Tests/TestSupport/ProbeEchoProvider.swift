import BackofficeAPI
import EchoService
import RPC

/// An echo service that reports to a probe what its handlers went through: whether they started,
/// finished or were cancelled, and what context they saw. For tests of deadlines, cancellation
/// and disconnects. A unary request whose payload is `holdPayload` is answered only once the
/// probe has recorded `releaseEvent` (at most 30 s later): a call kept in flight for exactly as
/// long as a test needs, however slow the machine.
public struct ProbeEchoProvider: Echo.EchoHandler {
    public let probe: EventProbe

    /// The payload of a unary request held until `releaseEvent`.
    public static let holdPayload = Array("hold".utf8)
    /// What a test records on the probe to let held requests be answered.
    public static let releaseEvent = "release"

    public init(probe: EventProbe) { self.probe = probe }

    public func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
        probe.record("started")
        if let requestID = context.requestID { probe.record("request-id:\(requestID)") }
        if let remaining = context.remainingTime {
            probe.record("remaining-ms:\(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)")
        }
        do {
            if request.delayMillis > 0 { try await Task.sleep(for: .milliseconds(Int(request.delayMillis))) }
            if request.payload == Self.holdPayload {
                _ = await probe.waitFor(Self.releaseEvent, timeout: 30)
                try Task.checkCancellation()
            }
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
