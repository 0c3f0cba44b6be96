import Gateway
import Testing

/// The gateway's port differs from every service's default port.
@Suite struct GatewayDefaultsTests {
    @Test func gatewayPortIsItsOwn() {
        #expect(![7100, 7200, 7300, 7400, 7500, 7600].contains(GatewayDefaults.port))
    }
}
