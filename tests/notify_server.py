"""A local server that speaks GOV.UK Notify's API for sending email, for tests and benchmarks.

`POST /v2/notifications/email` checks the `Authorization: Bearer <JWT>` header as Notify does (HS256, signed
with the API key's secret, `iss` = the key's service id, `iat` within 30 seconds), checks the JSON body
(`email_address`, `template_id`, optional `personalisation`, `reference`) and answers 201 with a Notify-shaped
body. Every accepted request is recorded; the count of distinct `reference`s is how exactly-once delivery is
checked (a worker killed after sending but before recording it sends again, with the same reference).

Faults on demand: `POST /_control` with {"status": 500|429|400|503, "count": N} answers the next N email
requests with that status (count -1: until told otherwise; {"status": 201} back to normal), {"delay": s} waits
before each answer. `GET /_stats` gives {"accepted", "references", "duplicates", "refused"}; `GET /_requests`
every accepted request; `POST /_reset` forgets them.

In a test: `with NotifyServer() as notify:` (a thread); from a shell or another process:
`python -m tests.notify_server --port 8025` (prints "listening on http://127.0.0.1:PORT").
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"aptrain_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"


class State:
    def __init__(self, secret: str = SECRET, service_id: str = SERVICE_ID) -> None:
        self.secret, self.service_id = secret, service_id
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.references: Counter = Counter()
        self.refused = 0
        self.fault_status: int | None = None
        self.fault_count = 0
        self.delay = 0.0

    def fault(self) -> int | None:
        with self.lock:
            if self.fault_status is None or self.fault_count == 0:
                return None
            if self.fault_count > 0:
                self.fault_count -= 1
            self.refused += 1
            return self.fault_status

    def stats(self) -> dict:
        with self.lock:
            return {"accepted": len(self.requests), "references": len(self.references),
                    "duplicates": sum(n - 1 for n in self.references.values()), "refused": self.refused}


def _error(status: int, error: str, message: str) -> dict:
    return {"errors": [{"error": error, "message": message}], "status_code": status}


class Handler(BaseHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart (Nagle and delayed ACKs)

    def log_message(self, *_args) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
            pass

    def _body(self) -> dict | None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def do_GET(self) -> None:
        if self.path == "/_stats":
            return self._send(200, self.state.stats())
        if self.path == "/_requests":
            with self.state.lock:
                return self._send(200, {"requests": list(self.state.requests)})
        self._send(404, _error(404, "NotFound", "Not found"))

    def do_POST(self) -> None:
        state = self.state
        body = self._body()
        if self.path == "/_control":
            with state.lock:
                if "status" in (body or {}):
                    status = int(body["status"])
                    state.fault_status = None if status < 300 else status
                    state.fault_count = int(body.get("count", -1))
                if "delay" in (body or {}):
                    state.delay = float(body["delay"])
            return self._send(200, {"ok": True})
        if self.path == "/_reset":
            with state.lock:
                state.requests.clear()
                state.references.clear()
                state.refused = 0
                state.fault_status, state.fault_count, state.delay = None, 0, 0.0
            return self._send(200, {"ok": True})
        if self.path != "/v2/notifications/email":
            return self._send(404, _error(404, "NotFound", "Not found"))
        problem = self._auth_problem()
        if problem:
            with state.lock:
                state.refused += 1
            return self._send(403, _error(403, "AuthError", problem))
        if state.delay:
            time.sleep(state.delay)
        status = state.fault()
        if status is not None:
            messages = {429: ("RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
                        400: ("BadRequestError", "Can't send to this recipient using a team-only API key"),
                        500: ("Exception", "Internal server error"), 503: ("Exception", "Service unavailable")}
            error, message = messages.get(status, ("Exception", "Error"))
            return self._send(status, _error(status, error, message))
        if body is None or not body.get("email_address") or not body.get("template_id"):
            with state.lock:
                state.refused += 1
            return self._send(400, _error(400, "ValidationError", "email_address and template_id are required"))
        notification_id = str(uuid.uuid4())
        with state.lock:
            state.requests.append({"id": notification_id, "body": body, "received_at": time.time()})
            state.references[body.get("reference")] += 1
        personalisation = body.get("personalisation") or {}
        self._send(201, {
            "id": notification_id,
            "reference": body.get("reference"),
            "content": {"subject": personalisation.get("subject", ""), "body": personalisation.get("body", ""),
                        "from_email": "aptrain@notifications.service.gov.uk", "one_click_unsubscribe_url": None},
            "uri": f"http://{self.headers.get('Host')}/v2/notifications/{notification_id}",
            "template": {"id": body["template_id"], "version": 1,
                         "uri": f"http://{self.headers.get('Host')}/services/{state.service_id}/templates/{body['template_id']}"},
            "scheduled_for": None,
        })

    def _auth_problem(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = header.removeprefix("Bearer ").strip()
        try:
            claims = jwt.decode(token, self.state.secret, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.PyJWTError as error:
            return f"Invalid token: {error}"
        if claims.get("iss") != self.state.service_id:
            return "Invalid token: service not found"
        if abs(time.time() - float(claims.get("iat", 0))) > 30:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return None


class NotifyServer:
    """The server in a thread on a free port: `with NotifyServer() as notify: notify.base_url …`."""

    def __init__(self, port: int = 0) -> None:
        self.state = State()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> NotifyServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail_next(self, status: int, count: int = -1) -> None:
        with self.state.lock:
            self.state.fault_status, self.state.fault_count = (None if status < 300 else status), count

    @property
    def requests(self) -> list[dict]:
        with self.state.lock:
            return list(self.state.requests)

    def stats(self) -> dict:
        return self.state.stats()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = NotifyServer(args.port)
    print(f"listening on {server.base_url}", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
