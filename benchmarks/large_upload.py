"""Does a large upload block the sample server for everyone else? (issue 11)

Run on demand (not a test):
``python benchmarks/large_upload.py [--changes 25000] [--tree PATH] [--rounds 1]``.

Starts the sample server with uvicorn on a free loopback port (from ``--tree``, a checkout of
the project, default this one: point it at an older checkout to compare), loads a world of
two users with a device each, and sends one large upload of ``--changes`` new rows from ann's
device, twice: alone, then while ``/health`` and bob's (small) download are each requested
in a loop (one request at a time, 20 ms apart), their latencies recorded. Prints and writes
``reports/benchmarks/large_upload.json``: the upload's size and times, and for the other
requests their count, median and maximum latency while the upload ran.

The server is stopped at the end; every request goes to 127.0.0.1 only, bounded in number
(the loops end with the upload, or after ``--timeout`` seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

WORLD: dict[str, Any] = {
    "business_units": [{"id": "root", "parent": None}],
    "users": [
        {"id": "ann", "business_unit": "root", "manager": None, "roles": ["editor"]},
        {"id": "bob", "business_unit": "root", "manager": None, "roles": ["editor"]},
    ],
    "roles": [
        {
            "id": "editor",
            "privileges": {
                # each reads their own notes: bob's download stays small (one row)
                "note": {"create": "user", "read": "user", "write": "user"},
            },
        }
    ],
    "tables": [
        {
            "name": "note",
            "columns": {"title": {"type": "string", "maxLength": 40}},
            "lookups": {},
            "secured": [],
        }
    ],
    "field_permissions": [],
    "rows": [{"id": "n1", "table": "note", "owner": "bob", "values": {"title": "bob's"}}],
    "shares": [],
    "hierarchy": {"enabled": False, "depth": 1},
    "app_modules": [{"id": "m", "offline_enabled": True, "tables": ["note"]}],
    "profile": {"note": "all"},
    "views": [],
    "devices": [{"id": "d1", "user": "ann"}, {"id": "d2", "user": "bob"}],
    "conflict_policy": "client_wins",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(tree: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    port, token = _free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(
        [sys.executable, "-m", "implementations.sample.server.app", "--port", str(port)],
        cwd=tree,
        env={**os.environ, "SAMPLE_ADMIN_TOKEN": token, "PYTHONPATH": str(tree)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url, token
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server in {tree} did not start")


def _poll(url: str, headers: dict[str, str], until: threading.Event, out: list[float]) -> None:
    with httpx.Client(timeout=300) as client:
        while not until.is_set():
            started = time.perf_counter()
            client.get(url, headers=headers).raise_for_status()
            out.append(time.perf_counter() - started)
            until.wait(0.02)


def _upload(url: str, token: str, content: bytes, timeout: float) -> httpx.Response:
    return httpx.post(
        f"{url}/users/ann/upload",
        content=content,
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        timeout=timeout,
    )


def measure(tree: Path, changes: int, timeout: float) -> dict[str, Any]:
    proc, url, admin = _start(tree)
    try:
        auth = {"Authorization": f"Bearer {admin}"}

        def fresh_world() -> dict[str, str]:
            answer = httpx.post(f"{url}/admin/world", json=WORLD, headers=auth, timeout=60)
            return answer.json()["tokens"]  # type: ignore[no-any-return]

        body = {
            "changes": [
                {
                    "op_id": f"op-{i}",
                    "kind": "create",
                    "table": "note",
                    "row": f"r-{i}",
                    "values": {"title": f"offline edit {i}"},
                    "base": None,
                }
                for i in range(changes)
            ]
        }
        content = json.dumps(body).encode()
        tokens = fresh_world()
        started = time.perf_counter()
        alone = _upload(url, tokens["d1"], content, timeout)
        alone_s = time.perf_counter() - started
        tokens = fresh_world()
        done = threading.Event()
        health: list[float] = []
        downloads: list[float] = []
        pollers = [
            threading.Thread(target=_poll, args=(f"{url}/health", {}, done, health)),
            threading.Thread(
                target=_poll,
                args=(
                    f"{url}/users/bob/download",
                    {"Authorization": f"Bearer {tokens['d2']}"},
                    done,
                    downloads,
                ),
            ),
        ]
        started = time.perf_counter()
        for poller in pollers:
            poller.start()
        answer = _upload(url, tokens["d1"], content, timeout)
        upload_s = time.perf_counter() - started
        done.set()
        for poller in pollers:
            poller.join()
        return {
            "tree": str(tree),
            "changes": changes,
            "bytes": len(content),
            "upload_status": [alone.status_code, answer.status_code],
            "upload_alone_s": round(alone_s, 2),
            "upload_polled_s": round(upload_s, 2),
            **{
                f"{name}_{stat}": round(value, 3)
                for name, latencies in (("health", health), ("download", downloads))
                for stat, value in (
                    ("count", len(latencies)),
                    ("median_s", statistics.median(latencies) if latencies else 0.0),
                    ("max_s", max(latencies, default=0.0)),
                )
            },
        }
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=25_000, help="rows in the upload")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout to run the server from")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    results = [measure(args.tree.resolve(), args.changes, args.timeout) for _ in range(args.rounds)]
    for result in results:
        print(json.dumps(result))
    out = ROOT / "reports" / "benchmarks" / "large_upload.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
