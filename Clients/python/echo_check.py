"""Checks the Python client against an echo server: every call kind, an error status, a ping.

Usage: echo_check.py HOST PORT   (prints one line per check; exits 1 on the first failure)
"""

import sys

import echo_pb2
from backoffice_client import Client, RpcError


def main(host, port):
    with Client(host, int(port)) as client:
        reply = client.unary("backoffice.echo.Echo/Unary", echo_pb2.EchoRequest(payload=b"hi"), echo_pb2.EchoResponse)
        assert reply.payload == b"hi", reply
        print("unary ok")

        replies = list(client.server_stream(
            "backoffice.echo.Echo/Expand", echo_pb2.EchoRequest(payload=b"x", repeat=3), echo_pb2.EchoResponse))
        assert [r.index for r in replies] == [0, 1, 2], replies
        print("server streaming ok")

        total = client.client_stream(
            "backoffice.echo.Echo/Collect", [echo_pb2.EchoRequest(payload=p) for p in (b"a", b"b", b"c")],
            echo_pb2.EchoResponse)
        assert total.payload == b"abc" and total.index == 3, total
        print("client streaming ok")

        try:
            client.unary("backoffice.echo.Echo/Unary",
                         echo_pb2.EchoRequest(fail_code=5, fail_message="nothing here"), echo_pb2.EchoResponse)
            raise AssertionError("the failing call succeeded")
        except RpcError as error:
            assert (error.name, error.message) == ("NOT_FOUND", "nothing here"), error
        print("error status ok")

        try:
            client.unary("backoffice.echo.Echo/Nope", echo_pb2.EchoRequest(), echo_pb2.EchoResponse)
            raise AssertionError("an unknown method succeeded")
        except RpcError as error:
            assert error.name == "UNIMPLEMENTED", error
        print("unknown method ok")

        client.ping()
        print("ping ok")


if __name__ == "__main__":
    main(*sys.argv[1:3])
