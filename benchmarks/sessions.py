"""How many dashboard sessions one app process holds: N signed-in WebSocket clients each run the
Overview (as a browser tab does on opening), stay connected, then one more rerun is timed; the
server's resident memory and its health endpoint's answer time are read at each step.

python -m benchmarks.sessions [--steps 10 25 50 100] — prints one line per step. The clients speak
Streamlit's own protocol (protobuf over the WebSocket), so no browser is needed for 100 of them.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long enough passphrase"
RUN_SECONDS = 120.0


def _serve(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_support import start_streamlit  # the tests' own way to start the real server
    return start_streamlit({**os.environ, "POP_DB": str(db)}, log)


def _cookie(host: str, name: str) -> str:
    with urllib.request.urlopen(f"http://{host}/signin?lang=en") as answer:
        body = answer.read().decode()
        form_cookie = next(v for k, v in answer.headers.items() if k.lower() == "set-cookie").split(";")[0]
    token = re.search(r'name="csrf" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"name": name, "password": PASSWORD, "csrf": token}).encode()
    request = urllib.request.Request(f"http://{host}/signin?lang=en&next=/overview", data=data, method="POST",
                                     headers={"Cookie": form_cookie, "Origin": f"http://{host}",
                                              "X-Forwarded-For": f"192.0.2.{hash(name) % 250 + 1}"})

    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(Keep).open(request)
    except urllib.error.HTTPError as answer:
        return next(v for k, v in answer.headers.items() if k.lower() == "set-cookie" and
                    v.startswith("pop_session=")).split(";")[0]
    raise RuntimeError("no session cookie")


def _run(socket: ClientConnection) -> float:
    """Ask for a run of the Overview and wait for it to finish: seconds taken."""
    message = BackMsg()
    message.rerun_script.query_string = "lang=en"
    message.rerun_script.page_name = "overview"
    started = time.perf_counter()
    socket.send(message.SerializeToString())
    deadline = started + RUN_SECONDS
    while time.perf_counter() < deadline:
        answer = ForwardMsg()
        answer.ParseFromString(socket.recv(timeout=RUN_SECONDS))
        if answer.WhichOneof("type") == "script_finished":
            return time.perf_counter() - started
    raise TimeoutError("the run did not finish")


def _all_at_once(sockets: list[ClientConnection], url: str) -> tuple[list[float], float]:
    """Every session reruns at the same moment (a filter changed everywhere, an election night):
    each run's seconds, sorted, and the health endpoint's answer time while they run."""
    with ThreadPoolExecutor(len(sockets) + 1) as pool:
        runs = [pool.submit(_run, socket) for socket in sockets]
        time.sleep(0.2)
        health = pool.submit(_health, url).result()
        return sorted(run.result() for run in runs), health


def _memory(pid: int) -> int:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) * 1024


def _health(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=60) as answer:
        answer.read()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sessions", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 25, 50, 100])
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="pop-sessions-"))
    db = folder / "pop.duckdb"
    subprocess.run([sys.executable, "-m", "pop_analytics", "--db", str(db), "demo"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "pop_analytics", "--db", str(db), "users", "add", "koord", "--role",
                    "coordinator"], input=PASSWORD + "\n", text=True, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    process, url = _serve(db, folder / "streamlit.log")
    host = urllib.parse.urlsplit(url).netloc
    sockets: list[ClientConnection] = []
    try:
        cookie = _cookie(host, "koord")
        base = _memory(process.pid)
        print(f"server at start: {base / 2**20:.0f} MB resident")
        for step in args.steps:
            first_runs = []
            while len(sockets) < step:
                socket = ws_connect(f"ws://{host}/_stcore/stream", origin=url, additional_headers={"Cookie": cookie},
                                    max_size=None, open_timeout=60, legacy=True)
                sockets.append(socket)
                first_runs.append(_run(socket))
            reruns = sorted(_run(sockets[i]) for i in range(0, len(sockets), max(1, len(sockets) // 10)))
            memory = _memory(process.pid)
            together, health = _all_at_once(sockets, url)
            print(f"{step:>4} sessions: {memory / 2**20:6.0f} MB resident ({(memory - base) / step / 2**20:.1f} MB "
                  f"a session), first run median {statistics.median(first_runs) * 1000:.0f} ms, one rerun p50 "
                  f"{reruns[len(reruns) // 2] * 1000:.0f} ms; all {step} rerunning at once: p50 "
                  f"{together[len(together) // 2]:.1f} s, p95 {together[int(len(together) * 0.95) - 1]:.1f} s, "
                  f"health meanwhile {health * 1000:.0f} ms, peak {_memory(process.pid) / 2**20:.0f} MB", flush=True)
    finally:
        for socket in sockets:
            socket.close()
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
