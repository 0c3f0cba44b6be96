import ProtoRuntime

/// How many messages each side of a call sends.
public enum CallKind: String, Sendable, Hashable, CaseIterable {
    /// One request, one response.
    case unary
    /// One request, any number of responses.
    case serverStreaming
    /// Any number of requests, one response.
    case clientStreaming
}

/// One RPC method: its names, its kind and its message types. Generated for every method of
/// every service in `Protos/`.
///
/// A class, so that passing one along with every call (contexts, access rules, forwarded calls)
/// costs one reference count instead of one for each of its strings.
public final class MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The fully qualified service name, e.g. `backoffice.echo.Echo`.
    public let service: String
    /// The method's name inside its service, e.g. `Unary`.
    public let name: String
    public let kind: CallKind
    public let requestType: any ProtoMessage.Type
    public let responseType: any ProtoMessage.Type

    /// The name used on the wire: `backoffice.echo.Echo/Unary`.
    public let fullName: String

    public init(
        service: String, name: String, kind: CallKind,
        requestType: any ProtoMessage.Type, responseType: any ProtoMessage.Type
    ) {
        self.service = service
        self.name = name
        self.kind = kind
        self.requestType = requestType
        self.responseType = responseType
        self.fullName = "\(service)/\(name)"
    }

    public var description: String { fullName }

    public static func == (lhs: MethodDescriptor, rhs: MethodDescriptor) -> Bool {
        lhs.fullName == rhs.fullName && lhs.kind == rhs.kind
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(fullName) }
}

/// One RPC service: its fully qualified name and its methods, in declaration order.
public struct ServiceDescriptor: Sendable, Hashable {
    /// e.g. `backoffice.echo.Echo`.
    public let name: String
    public let methods: [MethodDescriptor]

    public init(name: String, methods: [MethodDescriptor]) {
        self.name = name
        self.methods = methods
    }
}
