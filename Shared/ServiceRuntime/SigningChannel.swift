import AccessControl
import BackofficeAPI
import Foundation
import ProtoRuntime
import RPC

/// A channel to another service of the suite that signs every call the way the gateway does, so
/// the callee's `TrustedCallerInterceptor` accepts it.
///
/// While serving a call, it forwards that call's principal (the callee acts for the same user and
/// applies the same object-level checks); otherwise it signs as this service itself
/// (`Auth.Principal.service(named:)`). Without a signer (a suite started without an internal key,
/// for development) calls go out unsigned.
///
/// ```swift
/// let security = Security.AccountsClient(
///     channel: SigningChannel(RPCClient(target: address), signer: signer, serviceName: "backoffice-users"))
/// ```
public struct SigningChannel: RPCChannel {
    /// Carries the signed calls.
    public let base: any RPCChannel
    /// Signs them; `nil` sends them unsigned.
    public let signer: PrincipalSigner?
    /// The principal used when no call is being served.
    public let ownPrincipal: Auth.Principal

    /// A channel over `base` signing with `signer`, as the service `serviceName` when not forwarding.
    public init(_ base: any RPCChannel, signer: PrincipalSigner?, serviceName: String) {
        self.base = base
        self.signer = signer
        self.ownPrincipal = .service(named: serviceName)
    }

    /// The principal a call made now is signed for: the served call's, else the service's own.
    public var currentPrincipal: Auth.Principal {
        ServerContext.current?.principal ?? ownPrincipal
    }

    /// `options` plus the signed principal for `method`.
    public func signed(_ options: CallOptions, for method: MethodDescriptor) -> CallOptions {
        guard let signer else { return options }
        var options = options
        // The signature outlives the call by little: the call's own timeout, at most a minute.
        let validFor = min(options.timeout ?? ServerContext.current?.remainingTime ?? .seconds(60), .seconds(60))
        options.metadata[PrincipalSigner.metadataKey] = signer.metadataValue(
            for: currentPrincipal, method: method.fullName, validFor: max(validFor, .seconds(1)))
        return options
    }

    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions
    ) async throws -> Response {
        try await base.unary(method, request, options: signed(options, for: method))
    }

    public func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions,
        onResponse: @escaping @Sendable (Response) async throws -> Void
    ) async throws {
        try await base.serverStreaming(method, request, options: signed(options, for: method), onResponse: onResponse)
    }

    public func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, options: CallOptions,
        requests: @escaping @Sendable (RequestWriter<Request>) async throws -> Void
    ) async throws -> Response {
        try await base.clientStreaming(method, options: signed(options, for: method), requests: requests)
    }
}

extension Auth.Principal {
    /// The principal a process of the suite uses when it calls another for itself: kind
    /// `.service`, subject `service:<name>`, and the permissions only the suite's own processes
    /// hold (`suite.internal`, `stats.ingest`).
    public static func service(named name: String) -> Auth.Principal {
        var principal = Auth.Principal()
        principal.subjectId = "service:\(name)"
        principal.kind = .service
        principal.permissions = [Permission.suiteInternal.rawValue, Permission.statsIngest.rawValue]
        principal.displayName = name
        return principal
    }

    /// The principal the gateway signs for a public method called without credentials: no
    /// subject, no kind, no permissions.
    public static let anonymous = Auth.Principal()

    /// Whether the principal is `anonymous`: nobody logged in.
    public var isAnonymous: Bool { subjectId.isEmpty }

    /// Whether the principal holds `permission`.
    public func holds(_ permission: Permission) -> Bool {
        permissions.contains(permission.rawValue)
    }
}
