"""A client for the back office RPC protocol, written from docs/PROTOCOL.md alone.

It uses only the standard library and the message classes that `protoc --python_out` generates
from Protos/ (Debian's python3-protobuf runs them). One call at a time on one TCP connection:
enough for scripts, and small enough to read next to the protocol document.

    client = Client("127.0.0.1", 7000)
    reply = client.unary("backoffice.echo.Echo/Unary", request, EchoResponse,
                         metadata={"authorization": "Bearer " + token})
"""

import os
import socket
import struct

import wire_pb2  # generated from Protos/wire.proto

PREFACE = b"BORPC\r\n\x01"  # section 1: magic, CR LF, version 1
HEADER = struct.Struct(">IBBI")  # section 2: payload length, type, flags, call id (big-endian)

CALL, MESSAGE, HALF_CLOSE, STATUS, CANCEL, PING, GOAWAY = range(1, 8)
END_STREAM = 0x01
ACK = 0x01

STATUS_NAMES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
]


class RpcError(Exception):
    """A call that ended with a status other than OK (section 4)."""

    def __init__(self, code, message, details=(), metadata=None):
        self.code = code
        self.name = STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else str(code)
        self.message = message
        self.details = [(violation.field, violation.description) for violation in details]
        self.metadata = dict(metadata or {})
        super().__init__(f"{self.name}: {message}")


class ProtocolError(Exception):
    """The server broke the protocol or went away (GOAWAY, closed socket, bad preface)."""


class Client:
    """One connection to a server of the suite (the gateway, or a service for health checks)."""

    def __init__(self, host, port, connect_timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.next_call_id = 1
        # A client may send frames right after its preface; we read the server's first.
        self.sock.sendall(PREFACE)
        answer = self._read_exactly(len(PREFACE))
        if answer[:7] != PREFACE[:7]:
            raise ProtocolError(f"not a back office server (it answered {answer!r})")
        if answer[7] != PREFACE[7]:
            raise ProtocolError(f"the server speaks version {answer[7]}, this client version 1")

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- frames (section 2) -------------------------------------------------------------------

    def _read_exactly(self, count):
        data = bytearray()
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ProtocolError("the server closed the connection")
            data += chunk
        return bytes(data)

    def _send(self, frame_type, flags, call_id, payload=b""):
        self.sock.sendall(HEADER.pack(len(payload), frame_type, flags, call_id) + payload)

    def _read_frame(self):
        length, frame_type, flags, call_id = HEADER.unpack(self._read_exactly(HEADER.size))
        return frame_type, flags, call_id, self._read_exactly(length) if length else b""

    # -- calls (section 3) --------------------------------------------------------------------

    def _open(self, method, metadata, timeout):
        call_id = self.next_call_id  # strictly increasing on a connection
        self.next_call_id += 1
        headers = wire_pb2.CallHeaders(method=method, metadata=metadata or {})
        if timeout:
            headers.timeout_micros = int(timeout * 1_000_000)
        self._send(CALL, 0, call_id, headers.SerializeToString())
        return call_id

    def _responses(self, call_id, response_class, timeout):
        """Yields each response of the call, then returns on OK or raises RpcError."""
        self.sock.settimeout(timeout + 5 if timeout else None)
        while True:
            frame_type, flags, frame_call, payload = self._read_frame()
            if frame_type == PING and not flags & ACK:
                self._send(PING, ACK, 0, payload)  # section 5: answer with the same 8 bytes
            elif frame_type == GOAWAY:
                goaway = wire_pb2.GoAway.FromString(payload)
                if goaway.code != 0 or goaway.last_call_id < call_id:
                    raise ProtocolError(f"GOAWAY {STATUS_NAMES[goaway.code]}: {goaway.message}")
            elif frame_call != call_id:
                continue  # a frame of a call this client no longer waits for
            elif frame_type == MESSAGE:
                yield response_class.FromString(payload)
            elif frame_type == STATUS:
                status = wire_pb2.Status.FromString(payload)  # empty payload: OK
                if status.code != 0:
                    raise RpcError(status.code, status.message, status.details, status.metadata)
                return

    def unary(self, method, request, response_class, metadata=None, timeout=30.0):
        """One request, one response."""
        call_id = self._open(method, metadata, timeout)
        self._send(MESSAGE, END_STREAM, call_id, request.SerializeToString())
        responses = list(self._responses(call_id, response_class, timeout))
        if len(responses) != 1:
            raise ProtocolError(f"{method} answered {len(responses)} messages to a unary call")
        return responses[0]

    def server_stream(self, method, request, response_class, metadata=None, timeout=30.0):
        """One request; yields every response as it arrives."""
        call_id = self._open(method, metadata, timeout)
        self._send(MESSAGE, END_STREAM, call_id, request.SerializeToString())
        yield from self._responses(call_id, response_class, timeout)

    def client_stream(self, method, requests, response_class, metadata=None, timeout=30.0):
        """Any number of requests, then HALF_CLOSE; one response."""
        call_id = self._open(method, metadata, timeout)
        for request in requests:
            self._send(MESSAGE, 0, call_id, request.SerializeToString())
        self._send(HALF_CLOSE, 0, call_id)
        responses = list(self._responses(call_id, response_class, timeout))
        return responses[0] if responses else None

    def ping(self):
        """Sends a PING and waits for its ACK (section 5)."""
        data = os.urandom(8)
        self._send(PING, 0, 0, data)
        while True:
            frame_type, flags, _, payload = self._read_frame()
            if frame_type == PING and flags & ACK and payload == data:
                return
