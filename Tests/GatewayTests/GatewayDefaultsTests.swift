import Gateway
import RPC
import Testing

/// The gateway's port differs from every service's default port; its connections to instances
/// cover every event loop unless told otherwise.
@Suite struct GatewayDefaultsTests {
    @Test func eachInstanceGetsAConnectionOnEveryEventLoopByDefault() {
        let automatic = GatewayAssembly.instanceClientConfiguration(connectionsPerInstance: 0)
        #expect(automatic.connections == EventLoopGroup.shared.loops.count)
        #expect(automatic.prefersCallersLoop)
        #expect(GatewayAssembly.instanceClientConfiguration(connectionsPerInstance: 3).connections == 3)
        #expect(GatewayAssembly.instanceClientConfiguration(connectionsPerInstance: -1).connections == EventLoopGroup.shared.loops.count)
    }

    @Test func gatewayPortIsItsOwn() {
        #expect(![7100, 7200, 7300, 7400, 7500, 7600].contains(GatewayDefaults.port))
    }
}
