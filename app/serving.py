"""Running uvicorn: one process (optionally reloading), or several worker processes sharing one socket."""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "app.main:create_app"


class _TcpConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        """uvicorn binds the workers' shared socket with protocol 0. asyncio sets TCP_NODELAY only on connections
        from a socket whose protocol is IPPROTO_TCP, so each worker's responses (headers, then body: two writes)
        waited for the client's delayed ACK, ~40 ms a request. Name the protocol (the socket is the same)."""
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def run(*, workers: int, reload: bool, **options: Any) -> None:
    """Serve the application: `workers` processes (uvicorn's supervisor starts them, starts one again if it dies,
    and passes SIGTERM on), or one process, reloading on code changes if asked."""
    if workers <= 1:
        uvicorn.run(APP, factory=True, reload=reload, **options)
        return
    config = _TcpConfig(APP, factory=True, workers=workers, **options)
    Multiprocess(config, sockets=[config.bind_socket()]).run()
