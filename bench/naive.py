"""Can a module be passed without reading it? Naive strategies through the plain HTML forms; print a table.

    .venv/bin/python bench/naive.py [--attempts 20]

For every module in modules/ and each strategy — always the first option shown, always the longest, always
the last — learners play the module through the same forms a browser without JavaScript posts (in-process,
against a fresh SQLite database), answering every question the same way, and never going back from a
poor ending. A control learner who takes the best choices and answers right shows the harness can pass.
It prints, per strategy and module, how many attempts passed, and the totals. The order of
options is fixed per attempt and differs between attempts, so each attempt is a fresh draw.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient

from app import PROJECT_ROOT
from app.cli import upgrade_database
from app.config import Settings
from app.content import load_library
from app.db import make_engine, session_scope
from app.demo.accounts import DEMO_PASSWORD
from app.main import create_app
from app.models import Official
from app.services.accounts.sessions import hash_password
from tests.conftest import TEST_SECRET
from tests.live import best_answers, parse_page

TAG = re.compile(r"<[^>]+>")


def _labels(html: str) -> dict[str, str]:
    """Each radio or checkbox value's label text, to judge length as a learner sees it."""
    labels = {}
    for match in re.finditer(r'<input[^>]*value="([^"]*)"[^>]*id="([^"]+)"[^>]*>.*?<label[^>]*for="\2"[^>]*>(.*?)</label>',
                             html, re.S):
        labels[match.group(1)] = " ".join(TAG.sub("", match.group(3)).split())
    return labels


def pick(strategy: str, values: list[str], labels: dict[str, str]) -> str:
    if strategy == "first":
        return values[0]
    if strategy == "last":
        return values[-1]
    return max(values, key=lambda v: len(labels.get(v, "")))


def play(client: TestClient, module, strategy: str) -> bool:
    module_id = module.id
    page = client.get(f"/modules/{module_id}")
    form = next(f for f in parse_page(page.text).forms if f.action.endswith("/attempts"))
    response = client.post(form.action, data=form.hidden)
    url = response.headers["location"]
    for _ in range(80):
        response = client.get(url)
        if response.status_code == 303:
            return "passed" in client.get(response.headers["location"]).text.lower().split("<h1", 1)[1][:400]
        forms = [f for f in parse_page(response.text).forms if f.action.startswith("/attempts/")
                 and not f.action.endswith("/rewind")]
        form = forms[0]
        labels = _labels(response.text)
        if strategy == "best":  # the control: a learner who reads (the harness can pass)
            data = best_answers(module, form)
        else:
            data = {name: pick(strategy, values, labels) for name, values in {**form.radios, **form.checkboxes}.items()}
        client.post(form.action, data={**form.hidden, **data})
    raise RuntimeError(f"{module_id}: no result after 80 steps")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=20, help="attempts per module and strategy")
    args = parser.parse_args()
    library = load_library(PROJECT_ROOT / "modules")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/naive.db"
        upgrade_database(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            password = hash_password(DEMO_PASSWORD)
            for n in range(args.attempts):
                session.add(Official(email=f"naive{n}@example.gov.uk", given_name="Naive", family_name=str(n),
                                     password_hash=password))
        engine.dispose()
        settings = Settings(environment="test", secret_key=TEST_SECRET, database_url=url,
                            modules_dir=PROJECT_ROOT / "modules")
        app = create_app(settings, library=library)
        modules = sorted(library.modules)
        results: dict[str, dict[str, int]] = {s: {} for s in ("first", "longest", "last", "best")}
        for n in range(args.attempts):
            with TestClient(app, follow_redirects=False) as client:
                page = client.get("/sign-in")
                token = parse_page(page.text).forms[0].hidden["csrf_token"]
                client.post("/sign-in", data={"email": f"naive{n}@example.gov.uk", "password": DEMO_PASSWORD,
                                              "csrf_token": token})
                for strategy in results:
                    for module_id in modules:
                        passed = play(client, library.get(module_id), strategy)
                        results[strategy][module_id] = results[strategy].get(module_id, 0) + passed
        app.state.engine.dispose()
    print(f"{len(modules)} modules, {args.attempts} attempts per module and strategy (passes / attempts)")
    print("| Module | always first | always longest | always last | control: best choices |")
    print("|---|---|---|---|---|")
    for module_id in modules:
        print(f"| {module_id} | " + " | ".join(f"{results[s][module_id]}/{args.attempts}" for s in results) + " |")
    total = len(modules) * args.attempts
    print("| **all modules** | " + " | ".join(
        f"**{sum(results[s].values())}/{total} ({100 * sum(results[s].values()) / total:.1f}%)**" for s in results) + " |")


if __name__ == "__main__":
    main()
