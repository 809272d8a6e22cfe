"""The reference deployment as it runs: Debian's nginx with deploy/nginx.conf (its placeholders filled in,
its ports moved to free ones) in front of two `streamlit run serve.py` processes on one database, over
HTTPS with a throwaway certificate, driven by Debian's Chromium. Sign-in, a page drawn over its WebSocket
and an upload all pass the proxy; nginx's access log names the process that served each request, which
shows a browser's pop_route cookie keeping all of them on one process."""
from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import secrets
import shlex
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from browser_support import ROOT, free_port, healthy, rendered, stop, visit
from conftest import cli_json, run_cli
from playwright.sync_api import Browser, BrowserContext, Page, expect

from pop_analytics import access, accounts, settings
from pop_analytics.i18n import t
from pop_analytics.stores import open_database

NGINX = Path("/usr/sbin/nginx")
DEPLOY = ROOT / "deploy"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not NGINX.exists(), reason="/usr/sbin/nginx is missing: apt-get install nginx-light")]

TIMEOUT_MS = 30_000
STARTUP_SECONDS = 60
PASSWORD = "a long enough passphrase"
USERS = {"koord": ("coordinator", [])}
# The name people open, as in a real deployment: not one of this machine's own names, which the app
# trusts without POP_BASE_URL. Chromium resolves every *.localhost name to 127.0.0.1 by itself.
SERVER_NAME = "pop.localhost"
# What a response's route cookie must say; ROUTE is pop_route's value when nginx chose it.
ROUTE_COOKIE = "pop_route={}; Path=/; HttpOnly; Secure; SameSite=Lax"
ROUTE = re.compile(r"[0-9a-f]{32}")
# A line of the pop_upstream access log format in deploy/nginx.conf.
LOG_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \d+ '
                      r"route=(?P<route>\S+) upstream=(?P<upstream>\S*) ")


@pytest.fixture(scope="module")
def database(postgres_cluster, postgres_demo) -> Iterator[str]:
    """What POP_DB names for both app processes: a PostgreSQL database (the reference deployment's
    system of record) holding the demo data, with a coordinator."""
    url = postgres_cluster.create(template=postgres_demo)
    for name, (role, municipalities) in USERS.items():
        accounts.add(open_database(url), name, role, municipalities, PASSWORD, access.cli_viewer())
    yield url
    postgres_cluster.drop(url)


@pytest.fixture(scope="module")
def deployment(database: str, tmp_path_factory) -> Iterator[SimpleNamespace]:
    """nginx on two free ports of 127.0.0.1 (HTTP, HTTPS) in front of two app processes, each started
    as deploy/pop-app@.service starts it."""
    folder = tmp_path_factory.mktemp("deploy")
    http_port, https_port, *app_ports = free_ports(4)
    processes: list[subprocess.Popen] = []
    try:
        with ThreadPoolExecutor(2) as pool:
            started = [pool.submit(start_app, folder / f"app-{port}.log", *app_unit(port, database, https_port))
                       for port in app_ports]
        processes.extend(future.result() for future in started if future.exception() is None)
        for future in started:
            future.result()  # a process that did not start fails the fixture, once the other is in hand to stop
        cert = certificate(folder)
        processes.append(start_nginx(folder, nginx_config(folder, cert, http_port, https_port, app_ports),
                                     https_port, cert))
        yield SimpleNamespace(url=f"https://{SERVER_NAME}:{https_port}", http_port=http_port, https_port=https_port,
                              cert=cert, log=folder / "access.log", database=database,
                              upstreams=[f"127.0.0.1:{port}" for port in app_ports])
    finally:
        for process in reversed(processes):
            stop(process)


def free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def systemd_unit(name: str, fill: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """A unit in deploy/ as systemd runs it, placeholders filled in: (ExecStart's command, its Environment).
    Continued lines joined; systemd's escapes %% and $$ read as % and $."""
    text = (DEPLOY / name).read_text(encoding="utf-8").replace("\\\n", " ")
    for placeholder, value in fill.items():
        text = text.replace(placeholder, value)
    text = text.replace("%%", "%").replace("$$", "$")
    [command] = re.findall(r"^ExecStart=(.*)$", text, re.MULTILINE)
    return shlex.split(command), dict(re.findall(r"^Environment=(\w+)=(.*)$", text, re.MULTILINE))


def app_unit(port: int, database: str, https_port: int) -> tuple[list[str], dict[str, str]]:
    """pop-app@PORT.service for this checkout, its public address nginx's HTTPS port."""
    return systemd_unit("pop-app@.service", {
        "@APP_DIR@/.venv/bin/": f"{Path(sys.executable).parent}/", "@APP_DIR@": str(ROOT), "%i": str(port),
        "@POP_DB@": database, "@SERVER_NAME@": f"{SERVER_NAME}:{https_port}"})


def start_app(log_path: Path, command: list[str], environment: dict[str, str]) -> subprocess.Popen:
    """An app process in the checkout (the unit's WorkingDirectory), once its health endpoint answers."""
    url = "http://127.0.0.1:" + command[command.index("--server.port") + 1]
    with open(log_path, "w", encoding="utf-8") as log:  # streamlit writes to its own copy of the descriptor
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **environment}, stdout=log,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"{' '.join(command)} did not answer {url}/_stcore/health:\n{log_path.read_text()}")
        time.sleep(0.2)
    return process


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the server's name and 127.0.0.1: (certificate, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", f"/CN={SERVER_NAME}",
                    "-addext", f"subjectAltName=DNS:{SERVER_NAME},IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def nginx_config(folder: Path, cert: tuple[Path, Path], http_port: int, https_port: int,
                 app_ports: list[int]) -> Path:
    """deploy/nginx.conf as a deployment fills it in, on this test's ports and files, included in a
    top-level configuration whose every path is in folder."""
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    changes = {
        "@SERVER_NAME@": SERVER_NAME, "@TLS_CERT@": str(cert[0]), "@TLS_KEY@": str(cert[1]),
        "listen 80;": f"listen 127.0.0.1:{http_port};", "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;", "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8501;": f"server 127.0.0.1:{app_ports[0]};",
        "server 127.0.0.1:8502;": f"server 127.0.0.1:{app_ports[1]};",
        "/var/log/nginx/pop-analytics.access.log": str(folder / "access.log"),
    }
    for old, new in changes.items():
        assert old in text, f"deploy/nginx.conf no longer holds {old!r}"
        text = text.replace(old, new)
    assert not re.search(r"@[A-Z_]+@", text), "a placeholder this test does not fill in"
    (folder / "pop-analytics.conf").write_text(text, encoding="utf-8")
    temp_paths = "\n".join(f"    {kind}_temp_path {folder / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = folder / "nginx.conf"
    # As root nginx would hand its workers to `nobody`, who cannot read the test's folder.
    main.write_text(f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} notice;
events {{ worker_connections 256; }}
http {{
{temp_paths}
    include {folder / "pop-analytics.conf"};
}}
""", encoding="utf-8")
    return main


def start_nginx(folder: Path, config: Path, https_port: int, cert: tuple[Path, Path]) -> subprocess.Popen:
    errors = folder / "error.log"
    process = subprocess.Popen([str(NGINX), "-p", str(folder), "-c", str(config), "-e", str(errors)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}:\n{errors.read_text()}")
        try:
            if request(https_port, cert, "GET", "/_stcore/health")[0] == 200:
                return process
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"nginx did not answer on {https_port} within {STARTUP_SECONDS} s:\n{errors.read_text()}")
        time.sleep(0.1)


def request(port: int, cert: tuple[Path, Path] | None, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage]:
    """One request to nginx (HTTPS checked against the test's certificate when cert is given, else plain
    HTTP), redirects not followed: (status, headers)."""
    if cert is None:
        connection: http.client.HTTPConnection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    else:
        context = ssl.create_default_context(cafile=str(cert[0]))
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        answer.read()
        return answer.status, answer.headers
    finally:
        connection.close()


def route_cookies(headers: http.client.HTTPMessage) -> list[str]:
    """The pop_route cookies a response sets (Streamlit sets its XSRF cookie beside them)."""
    return [cookie for cookie in headers.get_all("Set-Cookie") or [] if cookie.startswith("pop_route=")]


def served(log: Path, route: str, until: tuple[str, str] | None = None) -> list[dict[str, str]]:
    """The access log's lines for a route cookie; with until=(method, path), once such a line is
    written (nginx logs a request when it ends: a WebSocket when its tab has closed)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [m.groupdict() for m in map(LOG_LINE.search, log.read_text().splitlines()) if m]
        mine = [line for line in lines if line["route"] == route]
        if until is None or any((line["method"], line["path"]) == until for line in mine):
            return mine
        if time.monotonic() > deadline:
            pytest.fail(f"no {until} for route {route} in the access log:\n" + "\n".join(map(str, mine)))
        time.sleep(0.1)


def requests_of(lines: list[dict[str, str]]) -> set[tuple[str, str, str]]:
    """(method, path, status) of access log lines, without query strings; an upload's path without the
    session and file it names."""
    paths = (re.sub(r"^(/_stcore/upload_file)/.*", r"\1", line["path"].split("?")[0]) for line in lines)
    return {(line["method"], path, line["status"]) for line, path in zip(lines, paths, strict=True)}


def route_to(deployment: SimpleNamespace, upstream: str) -> str:
    """A pop_route value that nginx sends to this app process: tried until one is."""
    for _ in range(64):
        route = secrets.token_hex(16)
        status, headers = request(deployment.https_port, deployment.cert, "GET", "/_stcore/health",
                                  headers={"Cookie": f"pop_route={route}"})
        assert (status, route_cookies(headers)) == (200, [ROUTE_COOKIE.format(route)])  # kept as sent
        if served(deployment.log, route, until=("GET", "/_stcore/health"))[-1]["upstream"] == upstream:
            return route
    pytest.fail(f"no route of 64 tried went to {upstream}")


def browser_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def sign_in(page: Page, deployment: SimpleNamespace) -> None:
    """Through the sign-in form the app redirects to, onto the overview drawn over the WebSocket."""
    page.goto(deployment.url + "/overview?lang=en")
    expect(page).to_have_url(re.compile(r"/signin\?"))
    page.fill("#name", "koord")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/overview\?lang=en"))
    rendered(page, TIMEOUT_MS)
    assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == t("page.overview.title", "en")
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(
        f"Signed in as koord ({t('role.coordinator', 'en')}) · all municipalities")


def workbook(path: Path) -> Path:
    """A partner's sheet of one activity row, as the Import page takes it."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Aktivitetet"
    sheet.append(["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve", "Pjesëmarrës gjithsej", "Gra",
                  "Burra", "Tema"])
    sheet.append([dt.datetime(2019, 6, 15), "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"])
    book.save(path)
    return path


def history(database: str) -> list[dict]:
    return cli_json(run_cli("history", "--json", db=database))


# ── the tests ────────────────────────────────────────────────────────────────────────────────

def test_plain_http_is_sent_to_https_without_a_route_cookie(deployment):
    status, headers = request(deployment.http_port, None, "GET", "/overview?lang=en",
                              headers={"Host": f"{SERVER_NAME}:{deployment.http_port}"})
    assert (status, headers["Location"], route_cookies(headers)) == (
        301, f"https://{SERVER_NAME}/overview?lang=en", [])


def test_nginx_refuses_a_body_over_max_upload_bytes_before_an_app_process_reads_it(deployment):
    limit = re.findall(r"client_max_body_size (\d+)m;", (DEPLOY / "nginx.conf").read_text(encoding="utf-8"))
    assert [int(megabytes) * 2**20 for megabytes in limit] == [settings.MAX_UPLOAD_BYTES]
    for size, refused in ((settings.MAX_UPLOAD_BYTES + 1, True), (settings.MAX_UPLOAD_BYTES, False)):
        route = secrets.token_hex(16)
        status, _ = request(deployment.https_port, deployment.cert, "POST", "/_stcore/health", body=bytes(size),
                            headers={"Cookie": f"pop_route={route}"})
        [line] = served(deployment.log, route, until=("POST", "/_stcore/health"))
        assert (status == 413, line["upstream"] == "-") == (refused, refused), (size, status, line)


def test_a_malformed_route_cookie_is_replaced_by_a_new_route(deployment):
    status, headers = request(deployment.https_port, deployment.cert, "GET", "/_stcore/health",
                              headers={"Cookie": "pop_route=x; Secure, evil=1"})
    [cookie] = route_cookies(headers)
    route = cookie.removeprefix("pop_route=").split(";")[0]
    assert (status, ROUTE.fullmatch(route) is not None, cookie) == (200, True, ROUTE_COOKIE.format(route))


def test_a_coordinator_signs_in_reads_a_page_and_uploads_through_the_proxy_all_on_one_process(
        deployment, browser, tmp_path):
    sheet = workbook(tmp_path / "tirane_qershor_2019.xlsx")
    next_import = max(row["id"] for row in history(deployment.database)) + 1
    context = browser_context(browser)
    try:
        page = context.new_page()
        sign_in(page, deployment)
        visit(page, "upload", TIMEOUT_MS)
        page.locator('.st-key-upload_file input[type="file"]').set_input_files(str(sheet))
        valid = t("upload.valid", "en", file=sheet.name, rows="1 row", kind=t("kind.activities", "en"))
        expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(valid)
        rendered(page, TIMEOUT_MS)
        page.locator(".st-key-upload_confirm button").click()
        stored = t("upload.stored", "en", file=sheet.name, import_id=next_import, rows="1 row")
        expect(page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=stored)).to_be_visible()
        [cookie] = [c for c in context.cookies() if c["name"] == "pop_route"]
    finally:
        context.close()

    newest = history(deployment.database)[0]
    assert [newest[key] for key in ("id", "file_name", "imported_by", "status")] == [
        next_import, sheet.name, "koord", "approved"]
    assert (cookie["secure"], cookie["httpOnly"], cookie["sameSite"], ROUTE.fullmatch(cookie["value"]) is not None) \
        == (True, True, "Lax", True)
    lines = served(deployment.log, cookie["value"], until=("GET", "/_stcore/stream"))
    assert {("GET", "/overview", "303"), ("POST", "/signin", "303"), ("GET", "/_stcore/stream", "101"),
            ("PUT", "/_stcore/upload_file", "204")} <= requests_of(lines)
    assert {line["upstream"] for line in lines} in ({deployment.upstreams[0]}, {deployment.upstreams[1]}), lines


@pytest.mark.parametrize("process", [0, 1])
def test_a_route_cookie_keeps_a_whole_session_on_its_process(deployment, browser, process):
    """Each process serves whole sessions: a browser whose cookie hashes to it signs in and reads a page
    there, every request of it on that process, and keeps its cookie."""
    upstream = deployment.upstreams[process]
    route = route_to(deployment, upstream)
    context = browser_context(browser)
    try:
        context.add_cookies([{"name": "pop_route", "value": route, "url": deployment.url}])
        sign_in(context.new_page(), deployment)
        assert [c["value"] for c in context.cookies() if c["name"] == "pop_route"] == [route]
    finally:
        context.close()
    lines = served(deployment.log, route, until=("GET", "/_stcore/stream"))
    assert {("POST", "/signin", "303"), ("GET", "/_stcore/stream", "101")} <= requests_of(lines)
    assert {line["upstream"] for line in lines} == {upstream}


def test_the_nightly_backup_unit_writes_the_day_s_backup_of_the_database(deployment, tmp_path):
    """pop-backup.service's command in an installation of its own (tmp_path, with this checkout's
    interpreter), run as systemd runs it, while both app processes hold the database."""
    command, environment = systemd_unit("pop-backup.service", {"@POP_DB@": deployment.database})
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    ran = subprocess.run(command, cwd=tmp_path, env={**os.environ, **environment, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=120, check=False)
    assert (ran.returncode, ran.stderr) == (0, "")
    backup = Path("backups") / f"pop-{dt.date.today():%Y-%m-%d}.duckdb"
    assert (str(backup) in ran.stdout, sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*.duckdb"))) \
        == (True, [backup]), ran.stdout
    assert history(str(tmp_path / backup)) == history(deployment.database)
