"""`aptrain serve --workers 2` as operators run it: JSON log lines, each request's with its id, and /metrics adding
up both workers' requests whichever worker answers the scrape (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import json
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.live import live_server

BATCH = 20


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read().decode()


def workers_seen(log: str) -> set[int]:
    """The processes that logged a probe request so far."""
    return {json.loads(line)["pid"] for line in log.splitlines() if line.startswith("{") and '"probe-' in line}


def healthz_count(metrics: str) -> float:
    prefix = 'aptrain_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} '
    return sum(float(line[len(prefix):]) for line in metrics.splitlines() if line.startswith(prefix))


def test_two_workers_log_json_with_request_ids_and_report_every_workers_requests(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    log_path = tmp_path / "server.log"
    with live_server(database_url, log_path, workers=2, APTRAIN_LOG_LEVEL="info", APTRAIN_LOG_FORMAT="json") as server:
        before = healthz_count(get(server.base_url + "/metrics")[2])  # the start-up checks' /healthz calls
        # Requests in parallel batches until the log shows both workers answered some (bounded).
        ids, sent = set(), 0
        with ThreadPoolExecutor(4) as pool:
            while sent < 400:
                batch = [f"probe-{n:04d}-abcdef" for n in range(sent, sent + BATCH)]
                for status, headers, _body in pool.map(lambda i: get(server.base_url + "/healthz", **{"X-Request-ID": i}),
                                                      batch):
                    assert status == 200
                    ids.add(headers["X-Request-ID"])
                sent += BATCH
                if len(workers_seen(server.log())) == 2:
                    break
        assert ids == {f"probe-{n:04d}-abcdef" for n in range(sent)}
        assert len(workers_seen(server.log())) == 2
        # Each scrape is answered by either worker; every one reports both workers' requests.
        counts = {healthz_count(get(server.base_url + "/metrics")[2]) for _ in range(6)}
        assert counts == {before + sent}
        status, _headers, body = get(server.base_url + "/readyz")
        assert status == 200 and json.loads(body)["status"] == "ready"
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    assert len(lines) >= sent and all(line["time"].endswith("Z") for line in lines)
    access = [line for line in lines if line["logger"] == "aptrain.access" and line["request_id"].startswith("probe-")]
    assert sorted(line["request_id"] for line in access) == sorted(ids)
    assert {line["route"] for line in access} == {"/healthz"}
    assert not [line for line in server.log().splitlines() if line.strip() and not line.startswith("{")], \
        "every line the server wrote is JSON"
    assert not os.environ.get("PROMETHEUS_MULTIPROC_DIR")  # serve's own folder, not this process's
