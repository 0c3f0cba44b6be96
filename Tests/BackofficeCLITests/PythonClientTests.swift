import Foundation
import Testing
import TestSupport

/// The Python client in Clients/python, written from docs/PROTOCOL.md with Debian's
/// python3-protobuf, run against the real servers: the wire format stays what the document says.
@Suite(.timeLimit(.minutes(1)))
struct PythonClientTests {
    @Test func speaksEveryCallKindToARealServer() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        let result = try await PythonClient.run("echo_check.py", [echo.address.host, String(echo.address.port)])
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.output
                == "unary ok\nserver streaming ok\nclient streaming ok\nerror status ok\nunknown method ok\nping ok\n")
    }
}
