"""Logs in through the gateway and calls a few methods: what a third-party program does.

Usage: demo.py HOST PORT USERNAME   (the password is read from standard input)
Prints one line per step; exits non-zero with the status on the first failure.
"""

import sys

import gateway_pb2
import security_pb2
import users_pb2
from backoffice_client import Client, RpcError


def main(host, port, username):
    password = sys.stdin.readline().rstrip("\n")
    with Client(host, int(port)) as client:
        # Public methods need no credential: the gateway's reflection lists the suite.
        listing = client.unary("backoffice.gateway.Reflection/ListServices",
                               gateway_pb2.ListServicesRequest(), gateway_pb2.ListServicesResponse)
        methods = sum(len(service.methods) for service in listing.services)
        print(f"reflection: {len(listing.services)} services, {methods} methods")

        # Without a session, a protected method is refused.
        try:
            client.unary("backoffice.users.Users/GetMe", users_pb2.GetMeRequest(), users_pb2.User)
            raise AssertionError("GetMe answered without a session")
        except RpcError as error:
            print(f"without a session: {error.name}")

        # Log in; the token goes in the `authorization` metadata of later calls.
        login = client.unary("backoffice.security.Sessions/Login",
                             security_pb2.LoginRequest(login=username, password=password),
                             security_pb2.LoginResponse)
        auth = {"authorization": "Bearer " + login.token}
        print(f"logged in as {login.principal.display_name} with roles {', '.join(login.principal.roles)}")

        me = client.unary("backoffice.users.Users/GetMe", users_pb2.GetMeRequest(), users_pb2.User, metadata=auth)
        print(f"me: {me.username} <{me.email}>")

        page = client.unary("backoffice.users.Users/ListUsers", users_pb2.ListUsersRequest(page_size=10),
                            users_pb2.ListUsersResponse, metadata=auth)
        print(f"users: {len(page.users)}")

        client.unary("backoffice.security.Sessions/Logout", security_pb2.LogoutRequest(),
                     security_pb2.LogoutResponse, metadata=auth)
        try:
            client.unary("backoffice.users.Users/GetMe", users_pb2.GetMeRequest(), users_pb2.User, metadata=auth)
            raise AssertionError("the session still worked after logout")
        except RpcError as error:
            print(f"after logout: {error.name}")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:4])
    except RpcError as error:
        print(f"{error.name}: {error.message}", file=sys.stderr)
        sys.exit(1)
