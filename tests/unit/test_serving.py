"""aptrain serve --workers N: the workers' shared socket names TCP as its protocol, so asyncio turns Nagle's
algorithm off on each connection (uvicorn's own socket leaves it on: every response then waited ~40 ms for a
delayed ACK, measured by the load test as /healthz going from 12 ms to 48 ms with two workers)."""

from __future__ import annotations

import socket

import uvicorn

from app.serving import APP, _TcpConfig


def test_the_workers_socket_is_tcp_so_connections_get_nodelay():
    sock = _TcpConfig(APP, factory=True, host="127.0.0.1", port=0, workers=2).bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.get_inheritable()
        sock.listen()
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        assert accepted.proto == socket.IPPROTO_TCP  # what asyncio checks before setting TCP_NODELAY
        accepted.close()
        client.close()
    finally:
        sock.close()


def test_uvicorns_own_socket_still_needs_the_fix():
    """If uvicorn names the protocol itself one day, app/serving.py's _TcpConfig can go."""
    sock = uvicorn.Config(APP, factory=True, host="127.0.0.1", port=0, workers=2).bind_socket()
    try:
        assert sock.proto == 0
    finally:
        sock.close()
