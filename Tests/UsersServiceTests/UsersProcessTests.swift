import BackofficeAPI
import Foundation
import RPC
import ServiceRuntime
import Testing
import TestSupport
import UsersService

/// The real `backoffice-users` over TCP, against a fake security service: registration, profiles,
/// status changes, erasure, listing, and every bad input the issue lists, each proving nothing
/// was written.
@Suite(.timeLimit(.minutes(1)))
struct UsersProcessTests {
    typealias Service = Users.UsersService

    @Test func registrationCreatesACustomerAndItsCredential() async throws {
        try await UsersFixture.withUsers { session in
            let user = try await session.register("alice.b", email: "Alice@Example.com")
            #expect(user.id.hasPrefix("u_"))
            #expect(user.kind == .customer)
            #expect(user.status == .active)
            #expect(user.email == "Alice@Example.com")
            #expect(user.version == 1)
            #expect(user.createdAtUnixMs > 1_700_000_000_000)
            let account = try #require(session.fake.accounts[user.id])
            #expect(account.roles == ["customer"])
            #expect(account.kind == .customer)
            #expect(account.username == "alice.b")
            #expect(account.password == "correct horse battery")

            let me = try await session.users.getMe(
                Users.GetMeRequest(), options: session.options(UsersFixture.customer(id: user.id), Service.getMe))
            #expect(me == user)
        }
    }

    @Test func aCustomerUpdatesTheirOwnProfileAndSecurityFollows() async throws {
        try await UsersFixture.withUsers { session in
            let user = try await session.register("carol")
            var change = Users.ProfileChange()
            change.email = "carol@new.example"
            change.phone = "+33 1 23 45 67 89"
            var address = Users.Address()
            address.label = "home"
            address.lines = ["1 rue de la Paix"]
            address.city = "Paris"
            address.postalCode = "75002"
            address.country = "FR"
            change.addresses = [address]
            change.updateMask = ["email", "phone", "addresses"]
            change.expectedVersion = 1
            var request = Users.UpdateMeRequest()
            request.change = change
            let caller = UsersFixture.customer(id: user.id)
            let updated = try await session.users.updateMe(request, options: session.options(caller, Service.updateMe))
            #expect(updated.email == "carol@new.example")
            #expect(updated.phone == "+33 1 23 45 67 89")
            #expect(updated.addresses == [address])
            #expect(updated.displayName == "Carol")
            #expect(updated.version == 2)
            #expect(session.fake.accounts[user.id]?.email == "carol@new.example")

            // A stale version is refused and changes nothing.
            let stale = await UsersFixture.rpcError {
                _ = try await session.users.updateMe(request, options: session.options(caller, Service.updateMe))
            }
            #expect(stale?.code == .aborted)
            let again = try await session.users.getMe(Users.GetMeRequest(), options: session.options(caller, Service.getMe))
            #expect(again == updated)
        }
    }

    @Test func invalidEmailIsRefusedAndNothingIsWritten() async throws {
        try await UsersFixture.withUsers { session in
            for email in ["not-an-email", "a@b@c.example", "spaces in@example.com", "dot.@example.com", "x@-bad-.example"] {
                let error = await UsersFixture.rpcError { _ = try await session.register("dora", email: email) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.fieldViolations.map(\.field) == ["email"], "\(email)")
            }
            try await Self.expectNothingWritten(session)
        }
    }

    @Test func badUsernameCharsetAndLengthAreRefused() async throws {
        try await UsersFixture.withUsers { session in
            let cases: [(String, String)] = [
                ("Bad Name", "may contain only lowercase letters a-z, digits and . _ -"),
                ("ab", "must be 3 to 32 characters long"),
                (String(repeating: "a", count: 33), "must be 3 to 32 characters long"),
                ("émile", "may contain only lowercase letters a-z, digits and . _ -"),
            ]
            for (username, description) in cases {
                let error = await UsersFixture.rpcError {
                    _ = try await session.register(username, email: "someone@example.com")
                }
                #expect(error?.code == .invalidArgument)
                #expect(error?.fieldViolations == [FieldViolation(field: "username", description: description)], "\(username)")
            }
            try await Self.expectNothingWritten(session)
        }
    }

    @Test func overlongFieldsAreEachNamed() async throws {
        try await UsersFixture.withUsers { session in
            var request = Users.RegisterCustomerRequest()
            request.username = "erin"
            request.email = String(repeating: "e", count: 250) + "@example.com"
            request.password = "correct horse battery"
            request.displayName = String(repeating: "E", count: 101)
            request.phone = String(repeating: "1", count: 33)
            request.locale = "fr-FR-" + String(repeating: "x", count: 40)
            let error = await UsersFixture.rpcError {
                _ = try await session.users.registerCustomer(request, options: session.options(.anonymous, Service.registerCustomer))
            }
            #expect(error?.code == .invalidArgument)
            #expect(Set(error?.fieldViolations.map(\.field) ?? []) == ["email", "display_name", "phone", "locale"])
            #expect(error?.message.contains("display_name: must be at most 100 characters long") == true)
            try await Self.expectNothingWritten(session)
        }
    }

    @Test func aDuplicateEmailInAnotherCaseIsAlreadyExistsAndWritesNothing() async throws {
        try await UsersFixture.withUsers { session in
            let first = try await session.register("frank", email: "frank@example.com")
            let creations = session.fake.calls(to: "CreateAccount").count
            let error = await UsersFixture.rpcError { _ = try await session.register("frank2", email: "FRANK@Example.COM") }
            #expect(error?.code == .alreadyExists)
            #expect(error?.fieldViolations.map(\.field) == ["email"])
            #expect(session.fake.calls(to: "CreateAccount").count == creations)
            let all = try await session.allUsers()
            #expect(all.map(\.id).sorted() == [first.id, all.first { $0.username == "admin" }!.id].sorted())
        }
    }

    @Test func aCommonPasswordIsRefusedBySecurityAndNothingIsWrittenLocally() async throws {
        try await UsersFixture.withUsers { session in
            let error = await UsersFixture.rpcError { _ = try await session.register("gina", password: "password123") }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations == [FieldViolation(field: "password", description: "is too common")])
            try await Self.expectNothingWritten(session, creationsAttempted: 1)
            // The username and email were not left reserved.
            let user = try await session.register("gina")
            #expect(user.username == "gina")
        }
    }

    @Test func aCustomerCannotReadAnotherProfileAndLearnsNothing() async throws {
        try await UsersFixture.withUsers { session in
            let hana = try await session.register("hana")
            let ivan = try await session.register("ivan")
            var request = Users.GetUserRequest()
            request.id = ivan.id
            let caller = UsersFixture.customer(id: hana.id)
            let other = await UsersFixture.rpcError {
                _ = try await session.users.getUser(request, options: session.options(caller, Service.getUser))
            }
            request.id = "u_does_not_exist"
            let unknown = await UsersFixture.rpcError {
                _ = try await session.users.getUser(request, options: session.options(caller, Service.getUser))
            }
            #expect(other?.code == .notFound)
            #expect(unknown?.code == .notFound)
            #expect(other?.message == "no user \(ivan.id)")
            #expect(unknown?.message == "no user u_does_not_exist")
            // Their own profile they can read.
            request.id = hana.id
            let own = try await session.users.getUser(request, options: session.options(caller, Service.getUser))
            #expect(own.username == "hana")
        }
    }

    @Test func anUnknownIdIsNotFoundForEveryMethod() async throws {
        try await UsersFixture.withUsers { session in
            let admin = UsersFixture.admin
            var get = Users.GetUserRequest()
            get.id = "u_unknown"
            var deactivate = Users.DeactivateUserRequest()
            deactivate.id = "u_unknown"
            var erase = Users.EraseUserRequest()
            erase.id = "u_unknown"
            var update = Users.UpdateUserRequest()
            update.id = "u_unknown"
            var change = Users.ProfileChange()
            change.phone = "123"
            change.updateMask = ["phone"]
            update.change = change
            let errors = [
                await UsersFixture.rpcError { _ = try await session.users.getUser(get, options: session.options(admin, Service.getUser)) },
                await UsersFixture.rpcError {
                    _ = try await session.users.deactivate(deactivate, options: session.options(admin, Service.deactivate))
                },
                await UsersFixture.rpcError {
                    _ = try await session.users.erase(erase, options: session.options(admin, Service.erase))
                },
                await UsersFixture.rpcError {
                    _ = try await session.users.updateUser(update, options: session.options(admin, Service.updateUser))
                },
            ]
            #expect(errors.map { $0?.code } == [.notFound, .notFound, .notFound, .notFound])
            #expect(session.fake.calls(to: "SetAccountStatus").isEmpty)
            #expect(session.fake.calls(to: "DeleteAccount").isEmpty)
        }
    }

    @Test func aBadPageTokenIsInvalidArgument() async throws {
        try await UsersFixture.withUsers { session in
            _ = try await session.register("jack")
            var request = Users.ListUsersRequest()
            request.pageSize = 1
            let options = session.options(UsersFixture.admin, Service.listUsers)
            let first = try await session.users.listUsers(request, options: options)
            #expect(first.users.count == 1)
            #expect(!first.nextPageToken.isEmpty)
            for token in ["garbage!", "bm90IGEgdG9rZW4", first.nextPageToken + "x"] {
                request.pageToken = token
                let error = await UsersFixture.rpcError { _ = try await session.users.listUsers(request, options: options) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.fieldViolations.map(\.field) == ["page_token"], "\(token)")
            }
            // A token is bound to the filters it was issued for.
            request.pageToken = first.nextPageToken
            request.text = "jack"
            let filtered = await UsersFixture.rpcError { _ = try await session.users.listUsers(request, options: options) }
            #expect(filtered?.fieldViolations.map(\.field) == ["page_token"])
        }
    }

    @Test func listingFiltersByKindStatusRoleAndTextAndPages() async throws {
        try await UsersFixture.withUsers { session in
            let kim = try await session.register("kim", email: "kim@shop.example")
            let leo = try await session.register("leo")
            var staff = Users.CreateStaffRequest()
            staff.username = "mia.editor"
            staff.email = "mia@corp.example"
            staff.password = "a long staff password"
            staff.displayName = "Mia Rossi"
            staff.roles = ["editor"]
            let mia = try await session.users.createStaff(staff, options: session.options(UsersFixture.admin, Service.createStaff))
            #expect(mia.kind == .staff)
            #expect(session.fake.accounts[mia.id]?.roles == ["editor"])
            // The admin's identity was forwarded to security.
            #expect(session.fake.calls(to: "CreateAccount").last?.caller == UsersFixture.admin.subjectId)

            let options = session.options(UsersFixture.admin, Service.listUsers)
            func list(_ configure: (inout Users.ListUsersRequest) -> Void) async throws -> [String] {
                var request = Users.ListUsersRequest()
                configure(&request)
                return try await session.users.listUsers(request, options: options).users.map(\.username)
            }
            #expect(try await list { $0.kind = .customer } == ["kim", "leo"])
            #expect(try await list { $0.role = "editor" } == ["mia.editor"])
            #expect(try await list { $0.text = "ROSSI" } == ["mia.editor"])
            #expect(try await list { $0.text = "shop.EXAMPLE" } == ["kim"])
            #expect(try await list { $0.text = "%" } == [])

            var deactivate = Users.DeactivateUserRequest()
            deactivate.id = leo.id
            _ = try await session.users.deactivate(deactivate, options: session.options(UsersFixture.admin, Service.deactivate))
            #expect(try await list { $0.status = .deactivated } == ["leo"])

            // Pages of one, in creation order, cover everyone exactly once.
            var seen: [String] = []
            var request = Users.ListUsersRequest()
            request.pageSize = 1
            repeat {
                let page = try await session.users.listUsers(request, options: options)
                seen += page.users.map(\.id)
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty && seen.count < 10
            #expect(seen.count == 4)
            #expect(Array(seen.dropFirst()) == [kim.id, leo.id, mia.id])
        }
    }

    @Test func deactivationReactivationAndErasureKeepSecurityInStep() async throws {
        try await UsersFixture.withUsers { session in
            let nina = try await session.register("nina", email: "nina@example.com")
            let admin = UsersFixture.admin
            var deactivate = Users.DeactivateUserRequest()
            deactivate.id = nina.id
            let off = try await session.users.deactivate(deactivate, options: session.options(admin, Service.deactivate))
            #expect(off.status == .deactivated)
            #expect(session.fake.accounts[nina.id]?.active == false)

            var reactivate = Users.ReactivateUserRequest()
            reactivate.id = nina.id
            let on = try await session.users.reactivate(reactivate, options: session.options(admin, Service.reactivate))
            #expect(on.status == .active)
            #expect(session.fake.accounts[nina.id]?.active == true)

            var erase = Users.EraseUserRequest()
            erase.id = nina.id
            let erased = try await session.users.erase(erase, options: session.options(admin, Service.erase))
            #expect(erased.id == nina.id)
            #expect(erased.status == .erased)
            #expect(!erased.username.contains("nina"))
            #expect(!erased.email.contains("nina"))
            #expect(erased.displayName.isEmpty)
            #expect(session.fake.accounts[nina.id] == nil)
            // The email is free again, and the erased account can no longer change.
            _ = try await session.register("nina2", email: "NINA@example.com")
            let again = await UsersFixture.rpcError {
                _ = try await session.users.reactivate(reactivate, options: session.options(admin, Service.reactivate))
            }
            #expect(again?.code == .failedPrecondition)
        }
    }

    @Test func aFailedDeactivationInSecurityLeavesTheAccountActive() async throws {
        try await UsersFixture.withUsers { session in
            let omar = try await session.register("omar")
            session.fake.failNext("SetAccountStatus", .before(RPCError(.unavailable, "security is down")))
            var deactivate = Users.DeactivateUserRequest()
            deactivate.id = omar.id
            let error = await UsersFixture.rpcError {
                _ = try await session.users.deactivate(deactivate, options: session.options(UsersFixture.admin, Service.deactivate))
            }
            #expect(error?.code == .unavailable)
            let users = try await session.allUsers()
            #expect(users.first { $0.id == omar.id }?.status == .active)
        }
    }

    @Test func anUnknownSecurityOutcomeIsCompensatedAndNothingStays() async throws {
        try await UsersFixture.withUsers { session in
            session.fake.failNext("CreateAccount", .after(RPCError(.internalError, "crashed after writing")))
            let error = await UsersFixture.rpcError { _ = try await session.register("pia") }
            #expect(error?.code == .internalError)
            let attempted = try #require(session.fake.calls(to: "CreateAccount").last)
            #expect(session.fake.calls(to: "DeleteAccount").map(\.userId) == [attempted.userId])
            #expect(session.fake.accounts[attempted.userId] == nil)
            try await Self.expectNothingWritten(session, creationsAttempted: 1)
            // The name was released: registering again works.
            let pia = try await session.register("pia")
            #expect(session.fake.accounts[pia.id] != nil)
        }
    }

    @Test func callersWithoutTheRightPermissionAreRefused() async throws {
        try await UsersFixture.withUsers { session in
            let quinn = try await session.register("quinn")
            let customer = UsersFixture.customer(id: quinn.id)
            let list = await UsersFixture.rpcError {
                _ = try await session.users.listUsers(Users.ListUsersRequest(), options: session.options(customer, Service.listUsers))
            }
            #expect(list?.code == .permissionDenied)
            var staff = Users.CreateStaffRequest()
            staff.username = "sneaky"
            staff.email = "sneaky@example.com"
            staff.password = "a long staff password"
            staff.roles = ["admin"]
            let create = await UsersFixture.rpcError {
                _ = try await session.users.createStaff(staff, options: session.options(customer, Service.createStaff))
            }
            #expect(create?.code == .permissionDenied)
            let unsigned = await UsersFixture.rpcError { _ = try await session.users.getMe(Users.GetMeRequest()) }
            #expect(unsigned?.code == .unauthenticated)
            let anonymous = await UsersFixture.rpcError {
                _ = try await session.users.getMe(Users.GetMeRequest(), options: session.options(.anonymous, Service.getMe))
            }
            #expect(anonymous?.code == .unauthenticated)
            #expect(try await session.allUsers().count == 2)
        }
    }

    @Test func anAdministratorCannotDeactivateOrEraseThemselves() async throws {
        try await UsersFixture.withUsers { session in
            let admin = try #require(try await session.allUsers().first)
            let principal = UsersFixture.staff(id: admin.id, roles: [.admin])
            var deactivate = Users.DeactivateUserRequest()
            deactivate.id = admin.id
            let error = await UsersFixture.rpcError {
                _ = try await session.users.deactivate(deactivate, options: session.options(principal, Service.deactivate))
            }
            #expect(error?.code == .failedPrecondition)
            var erase = Users.EraseUserRequest()
            erase.id = admin.id
            let erasing = await UsersFixture.rpcError {
                _ = try await session.users.erase(erase, options: session.options(principal, Service.erase))
            }
            #expect(erasing?.code == .failedPrecondition)
            #expect(try await session.allUsers().first?.status == .active)
            #expect(session.fake.calls(to: "SetAccountStatus").isEmpty)
        }
    }

    /// Only the bootstrap administrator exists, here and in security; `creationsAttempted`
    /// registrations reached security after the administrator's.
    static func expectNothingWritten(_ session: UsersSession, creationsAttempted: Int = 0) async throws {
        let users = try await session.allUsers()
        #expect(users.map(\.username) == ["admin"])
        #expect(session.fake.accounts.count == 1)
        #expect(session.fake.calls(to: "CreateAccount").count == 1 + creationsAttempted)
    }
}
