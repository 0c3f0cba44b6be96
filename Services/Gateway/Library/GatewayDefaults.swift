/// Where the gateway listens unless told otherwise, and where it expects each service.
public enum GatewayDefaults {
    /// The gateway's own port: the suite's front door.
    public static let port = 7000
}
