/// The type of a setting's value, which decides how its text is parsed.
public enum SettingKind: String, Sendable, Hashable, CaseIterable {
    /// Free text.
    case string
    /// A whole number.
    case int
    /// A length of time such as `500ms`, `10s`, `5m`.
    case duration
    /// A number of bytes such as `4MiB`, `512KiB`.
    case byteSize
    /// On or off.
    case bool
    /// A TCP address `host:port`.
    case address

    /// How the value is shown in the usage text, e.g. `<duration>`.
    public var placeholder: String {
        switch self {
        case .string: "<text>"
        case .int: "<int>"
        case .duration: "<duration>"
        case .byteSize: "<size>"
        case .bool: ""
        case .address: "<host:port>"
        }
    }

    /// What a valid value looks like, for error messages.
    public var expectation: String {
        switch self {
        case .string: "text"
        case .int: "a whole number such as 8080"
        case .duration: "a duration such as 500ms, 10s, 5m or 1h30m (units ns, us, ms, s, m, h)"
        case .byteSize: "a size such as 4MiB, 512KiB or 1000 (units B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)"
        case .bool: "true or false (also 1/0, yes/no, on/off)"
        case .address: "host:port such as 127.0.0.1:8080 or [::1]:8080"
        }
    }
}
