import BackofficeAPI

extension AccessPolicy {
    /// The users service (users.proto). Reading one account and the "me" methods are open to any
    /// authenticated caller because the service applies the object-level rule itself: a caller
    /// without `users.read` only ever sees their own profile.
    static let users: [MethodRule] = [
        MethodRule(Users.UsersService.registerCustomer, .public, readOnly: false),
        MethodRule(Users.UsersService.createStaff, .permission(.usersManage), readOnly: false),
        MethodRule(Users.UsersService.getUser, .authenticated, readOnly: true),
        MethodRule(Users.UsersService.updateUser, .permission(.usersManage), readOnly: false),
        MethodRule(Users.UsersService.getMe, .authenticated, readOnly: true),
        MethodRule(Users.UsersService.updateMe, .authenticated, readOnly: false),
        MethodRule(Users.UsersService.deactivate, .permission(.usersManage), readOnly: false),
        MethodRule(Users.UsersService.reactivate, .permission(.usersManage), readOnly: false),
        MethodRule(Users.UsersService.erase, .permission(.usersManage), readOnly: false),
        MethodRule(Users.UsersService.listUsers, .permission(.usersRead), readOnly: true),
    ]
}
