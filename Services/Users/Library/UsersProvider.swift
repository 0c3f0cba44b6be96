import AccessControl
import BackofficeAPI
import RPC
import ServiceRuntime

/// Serves `backoffice.users.Users` from a `UserDirectory`: checks who may do what, converts
/// messages to records and back.
///
/// Authorization: the gateway enforces `AccessPolicy` (the method's rule); this provider checks
/// the same rule again against `context.principal` (a call without a verified principal is
/// UNAUTHENTICATED, except the public registration), then the object-level rule: a caller
/// without `users.read` sees only their own profile. Asking for anybody else's answers NOT_FOUND
/// with the same message as for an unknown id, so that ids cannot be probed for existence.
public struct UsersProvider: Users.UsersHandler {
    /// The operations.
    public let directory: UserDirectory

    /// A provider over `directory`.
    public init(directory: UserDirectory) {
        self.directory = directory
    }

    /// Creates a customer and its credential (anyone may call it).
    public func registerCustomer(_ request: Users.RegisterCustomerRequest, context: ServerContext) async throws -> Users.User {
        let profile = Profile(
            username: request.username, email: request.email, displayName: request.displayName, phone: request.phone,
            locale: request.locale)
        let record = try await directory.create(
            kind: .customer, profile: profile, password: request.password, roles: [BuiltInRole.customer.rawValue])
        return Self.message(for: record)
    }

    /// Creates a member of staff with roles (`users.manage`).
    public func createStaff(_ request: Users.CreateStaffRequest, context: ServerContext) async throws -> Users.User {
        try Self.authorize(context, .usersManage)
        let profile = Profile(
            username: request.username, email: request.email, displayName: request.displayName, phone: request.phone,
            locale: request.locale)
        let record = try await directory.create(kind: .staff, profile: profile, password: request.password, roles: request.roles)
        return Self.message(for: record)
    }

    /// One account: the caller's own, or any with `users.read`; else NOT_FOUND.
    public func getUser(_ request: Users.GetUserRequest, context: ServerContext) async throws -> Users.User {
        let caller = try Self.caller(context)
        try Self.requireID(request.id)
        guard caller.subjectId == request.id || caller.holds(.usersRead) else { throw UserStore.notFound(request.id) }
        return Self.message(for: try await directory.store.existingUser(id: request.id))
    }

    /// Changes any account's profile (`users.manage`).
    public func updateUser(_ request: Users.UpdateUserRequest, context: ServerContext) async throws -> Users.User {
        try Self.authorize(context, .usersManage)
        try Self.requireID(request.id)
        return try await update(id: request.id, change: request.change)
    }

    /// The caller's own profile.
    public func getMe(_ request: Users.GetMeRequest, context: ServerContext) async throws -> Users.User {
        let caller = try Self.caller(context)
        return Self.message(for: try await directory.store.existingUser(id: caller.subjectId))
    }

    /// Changes the caller's own profile.
    public func updateMe(_ request: Users.UpdateMeRequest, context: ServerContext) async throws -> Users.User {
        let caller = try Self.caller(context)
        return try await update(id: caller.subjectId, change: request.change)
    }

    /// Deactivates an account other than the caller's (`users.manage`).
    public func deactivate(_ request: Users.DeactivateUserRequest, context: ServerContext) async throws -> Users.User {
        let caller = try Self.authorize(context, .usersManage)
        try Self.requireID(request.id)
        try Self.refuseOwnAccount(caller, request.id, "deactivate")
        return Self.message(for: try await directory.deactivate(id: request.id))
    }

    /// Reactivates an account (`users.manage`).
    public func reactivate(_ request: Users.ReactivateUserRequest, context: ServerContext) async throws -> Users.User {
        try Self.authorize(context, .usersManage)
        try Self.requireID(request.id)
        return Self.message(for: try await directory.reactivate(id: request.id))
    }

    /// Erases an account other than the caller's (`users.manage`).
    public func erase(_ request: Users.EraseUserRequest, context: ServerContext) async throws -> Users.User {
        let caller = try Self.authorize(context, .usersManage)
        try Self.requireID(request.id)
        try Self.refuseOwnAccount(caller, request.id, "erase")
        return Self.message(for: try await directory.erase(id: request.id))
    }

    /// One page of accounts matching the filters (`users.read`).
    public func listUsers(_ request: Users.ListUsersRequest, context: ServerContext) async throws -> Users.ListUsersResponse {
        try Self.authorize(context, .usersRead)
        var violations: [FieldViolation] = []
        let kind = Self.kind(request.kind, violations: &violations)
        let status = Self.status(request.status, violations: &violations)
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        let page = try await directory.list(
            filter: UserFilter(kind: kind, status: status, text: request.text), role: request.role,
            pageSize: Int(request.pageSize), pageToken: request.pageToken)
        var response = Users.ListUsersResponse()
        response.users = page.users.map(Self.message(for:))
        response.nextPageToken = page.nextPageToken
        return response
    }

    // MARK: - Updates

    /// Applies a `ProfileChange`; violations are named `change.<field>`.
    func update(id: String, change: Users.ProfileChange?) async throws -> Users.User {
        let change = change ?? Users.ProfileChange()
        var fields: Set<ProfileField> = []
        var unknown: [FieldViolation] = []
        for name in change.updateMask {
            if let field = ProfileField(rawValue: name) {
                fields.insert(field)
            } else {
                unknown.append(FieldViolation(field: "update_mask", description: "names no profile field: \(name)"))
            }
        }
        let profile = Profile(
            username: change.username, email: change.email, displayName: change.displayName, phone: change.phone,
            locale: change.locale, addresses: change.addresses.map(Self.address(from:)))
        do {
            guard unknown.isEmpty else { throw RPCError.invalidArgument(unknown) }
            return Self.message(
                for: try await directory.update(id: id, fields: fields, change: profile, expectedVersion: change.expectedVersion))
        } catch var error as RPCError {
            error.fieldViolations = error.fieldViolations.map { FieldViolation(field: "change.\($0.field)", description: $0.description) }
            throw error
        }
    }

    // MARK: - Authorization

    /// The verified, logged-in caller; UNAUTHENTICATED otherwise.
    static func caller(_ context: ServerContext) throws -> Auth.Principal {
        guard let principal = context.principal, !principal.isAnonymous else {
            throw RPCError(.unauthenticated, "this method needs a logged-in caller")
        }
        return principal
    }

    /// The caller, who must hold `permission`; PERMISSION_DENIED otherwise.
    @discardableResult
    static func authorize(_ context: ServerContext, _ permission: Permission) throws -> Auth.Principal {
        let principal = try caller(context)
        guard principal.holds(permission) else {
            throw RPCError(.permissionDenied, "this method needs the permission \(permission)")
        }
        return principal
    }

    /// FAILED_PRECONDITION when an administrator would lock themselves out (and possibly the
    /// suite's last administrator with them).
    static func refuseOwnAccount(_ caller: Auth.Principal, _ id: String, _ action: String) throws {
        if caller.subjectId == id { throw RPCError(.failedPrecondition, "you cannot \(action) your own account") }
    }

    static func requireID(_ id: String) throws {
        if id.isEmpty { throw RPCError.invalidArgument([FieldViolation(field: "id", description: "is required")]) }
    }

    // MARK: - Conversions

    static func message(for record: UserRecord) -> Users.User {
        var user = Users.User()
        user.id = record.id
        user.kind = record.kind == .staff ? .staff : .customer
        user.username = record.profile.username
        user.email = record.profile.email
        user.displayName = record.profile.displayName
        user.phone = record.profile.phone
        user.locale = record.profile.locale
        user.addresses = record.profile.addresses.map(message(for:))
        user.status =
            switch record.status {
            case .pending: .unspecified
            case .active: .active
            case .deactivated: .deactivated
            case .erased: .erased
            }
        user.createdAtUnixMs = record.createdAtUnixMs
        user.updatedAtUnixMs = record.updatedAtUnixMs
        user.version = record.version
        return user
    }

    static func message(for address: PostalAddress) -> Users.Address {
        var message = Users.Address()
        message.label = address.label
        message.lines = address.lines
        message.city = address.city
        message.region = address.region
        message.postalCode = address.postalCode
        message.country = address.country
        return message
    }

    static func address(from message: Users.Address) -> PostalAddress {
        PostalAddress(
            label: message.label, lines: message.lines, city: message.city, region: message.region,
            postalCode: message.postalCode, country: message.country)
    }

    static func kind(_ kind: Users.UserKind, violations: inout [FieldViolation]) -> UserKind? {
        switch kind {
        case .unspecified: return nil
        case .staff: return .staff
        case .customer: return .customer
        case .unrecognized:
            violations.append(FieldViolation(field: "kind", description: "is not a known kind"))
            return nil
        }
    }

    static func status(_ status: Users.UserStatus, violations: inout [FieldViolation]) -> UserStatus? {
        switch status {
        case .unspecified: return nil
        case .active: return .active
        case .deactivated: return .deactivated
        case .erased: return .erased
        case .unrecognized:
            violations.append(FieldViolation(field: "status", description: "is not a known status"))
            return nil
        }
    }
}
