"""A JSON-lines IUT that misbehaves on purpose: the reference model's server with one fault.

``python tests/engine/faulty_child.py MODE [N]``; the fault strikes at request N (counting
from 0, ``hello`` included), or at ``hello`` for the modes that say so. When ``FAULTY_PIDS``
names a directory, the child writes a file named after its pid there (the tests check that
every child the run started is gone afterwards, and how many were started).

Modes: ``ok``, ``garbage-at-hello``, ``log-line`` (a log line on stdout before answering
request N), ``garbage`` (a line that is not JSON), ``wrong-id``, ``hang-at-hello``, ``hang``,
``crash`` (exits 3 after a message on stderr), ``close-stdout`` (closes stdout, keeps running),
``huge-line`` (10 MB on one line), ``bad-utf8``, ``ignore-sigterm`` (ignores SIGTERM and hangs),
``bind-port`` (N is a port it binds at start: a second copy cannot start), ``crash-once``
(crashes at request N in the first copy started, a marker in ``FAULTY_PIDS`` says so; the
copies started after it behave).
"""

from __future__ import annotations

import io
import os
import signal
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from conformance.iut.model_server import _answer, _Server  # noqa: E402


def hang() -> None:
    while True:
        time.sleep(60)


def main() -> None:
    mode = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    pids = os.environ.get("FAULTY_PIDS")
    if pids:
        Path(pids, f"pid-{os.getpid()}").write_text(mode)
    if mode == "crash-once" and pids:
        marker = Path(pids, "crashed")
        if marker.exists():
            mode = "ok"
        else:
            marker.write_text("")
            mode = "crash"
    if mode == "ignore-sigterm":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    held = None
    if mode == "bind-port":
        held = socket.socket()
        try:
            held.bind(("127.0.0.1", n))
        except OSError as exc:
            print(f"cannot bind 127.0.0.1:{n}: {exc.strerror}", file=sys.stderr, flush=True)
            sys.exit(1)
        held.listen()
    out = sys.stdout.buffer
    server = _Server()
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="\n")
    for count, line in enumerate(stdin):
        at_hello = count == 0
        strike = count == n and mode not in ("bind-port", "ok")
        if at_hello and mode == "garbage-at-hello":
            out.write(b"Hello, I am ready!\n")
            out.flush()
            continue
        if at_hello and mode == "hang-at-hello":
            hang()
        if strike:
            print(f"faulty child: {mode} at request {count}", file=sys.stderr, flush=True)
            if mode == "log-line":
                out.write(b"INFO engine started, listening\n")
            elif mode == "garbage":
                out.write(b"%%% not json %%%\n")
                out.flush()
                continue
            elif mode == "wrong-id":
                out.write(b'{"id": 999999, "result": null}\n')
                out.flush()
                continue
            elif mode in ("hang", "ignore-sigterm"):
                hang()
            elif mode == "crash":
                print("panic: index out of range", file=sys.stderr, flush=True)
                sys.exit(3)
            elif mode == "close-stdout":
                out.close()
                os.close(1)
                hang()
            elif mode == "huge-line":
                out.write(b"x" * (10 << 20) + b"\n")
                out.flush()
                continue
            elif mode == "bad-utf8":
                out.write(b'{"id": ' + str(count).encode() + b', "result": "\xff\xfe"}\n')
                out.flush()
                continue
        response, stop = _answer(server, line)
        out.write(response.encode("utf-8") + b"\n")
        out.flush()
        if stop:
            break
    if held is not None:
        held.close()


if __name__ == "__main__":
    main()
