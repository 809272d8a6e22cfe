"""The read-only API (pop_analytics.api) over real HTTP against `streamlit run serve.py`: every
endpoint for every role, tokens, filters in any spelling, pages, CSV, conditional requests, the rate
limit, CORS, and sentences in the requested language. A donor's token never reads a submitted row or
a note; a partner's never another municipality."""
from __future__ import annotations

import csv
import email.utils
import io
import json
import os
import time
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import hypothesis
import pytest
import schemathesis
from browser_support import demo_database, start_streamlit, stop
from conftest import run_cli
from dashboard_support import ACTIVITY_HEADER, xlsx

from pop_analytics import access, api_schema, api_tokens, filters, importing, kpis, open_data, settings
from pop_analytics.access import Viewer
from pop_analytics.database import Database
from pop_analytics.i18n import t
from pop_analytics.scope import DONOR_SIGHT

PASSWORD = "a long enough passphrase"
USERS = {"koord": ("coordinator", []), "arta": ("partner", ["Tiranë"]), "dora": ("donor", []),
         "rita": ("donor", []), "vera": ("donor", [])}
ALLOWED_ORIGIN = "https://pop-network.example"
# A partner's import for Tiranë, June 2019, still waiting for review: no donor reads it.
SUBMITTED_NOTE = "Takim me banorët e lagjes 5 (shënim i partnerit)"
SUBMITTED = [ACTIVITY_HEADER + ["Shënime"],
             ["15.06.2019", "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm", SUBMITTED_NOTE]]
ENDPOINTS = ["kpis", "priorities", "activities", "figures", "targets", "imports"]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    db = demo_database(folder, USERS, PASSWORD)
    partner = Viewer(name="arta", role="partner", municipalities=("Tiranë",), how="cli")
    importing.import_bytes(Database(db), xlsx(SUBMITTED), "tirane_qershor_2019.xlsx", by=partner)
    tokens = {name: api_tokens.create(Database(db), name, f"{name}'s script", access.cli_viewer()) for name in USERS}
    process, url = start_streamlit({**os.environ, "POP_DB": str(db), "POP_API_CORS_ORIGINS": ALLOWED_ORIGIN},
                                   folder / "streamlit.log")
    try:
        yield SimpleNamespace(url=url, db=db, tokens=tokens)
    finally:
        stop(process)


def get(api, path: str, who: str | None = None, headers: dict | None = None, **query):
    """(status, headers, body: JSON when it is JSON) of one GET; query values may be lists."""
    address = api.url + path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
    sent = {**({"Authorization": f"Bearer {api.tokens[who]}"} if who else {}), **(headers or {})}
    answer = _open(urllib.request.Request(address, headers=sent))
    body = answer.read().decode("utf-8")
    kind = answer.headers.get("content-type", "")
    return answer.status, answer.headers, json.loads(body) if kind.startswith("application/json") else body


def _open(request: urllib.request.Request):
    try:
        return urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as answer:  # 3xx-5xx: the answer itself is what is tested
        return answer


def every_page(api, path: str, who: str, **query) -> list[dict]:
    """Every row of a list, page by page through its next links."""
    status, _, body = get(api, path, who, **query)
    assert status == 200, body
    rows = list(body["data"])
    while body["next"]:
        answer = _open(urllib.request.Request(body["next"], headers={"Authorization": f"Bearer {api.tokens[who]}"}))
        body = json.loads(answer.read())
        rows += body["data"]
    return rows


# ── who may read what ────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("lang", "headers", "expected"), [
    ("en", {}, "api.error.unauthorized"),
    ("sq", {}, "api.error.unauthorized"),
    (None, {"Accept-Language": "sq-AL,sq;q=0.9"}, "api.error.unauthorized"),
    ("en", {"Authorization": "Bearer pop_not-a-token"}, "api.error.token_unknown"),
    ("en", {"Authorization": "Basic a29vcmQ6eA=="}, "api.error.unauthorized"),
])
def test_without_a_valid_token_the_api_answers_401_with_a_sentence_in_the_asked_language(api, lang, headers,
                                                                                         expected):
    query = {"lang": lang} if lang else {}
    status, answer, body = get(api, "/api/v1/kpis", headers=headers, **query)
    assert status == 401
    assert answer["WWW-Authenticate"].startswith('Bearer realm="POP Analytics"')
    assert body == {"error": {"code": "unauthorized", "message": t(expected, lang or "sq")}}


# Per role and endpoint: the status.
STATUSES = {"koord": dict.fromkeys(ENDPOINTS, 200), "arta": dict.fromkeys(ENDPOINTS, 200),
            "dora": {**dict.fromkeys(ENDPOINTS, 200), "imports": 403}}


@pytest.mark.parametrize("who", STATUSES)
def test_every_endpoint_answers_every_role_as_the_pages_would(api, who):
    found = {name: get(api, f"/api/v1/{name}", who)[0] for name in ENDPOINTS}
    assert found == STATUSES[who]
    if who == "dora":
        assert get(api, "/api/v1/imports", who)[2] == {
            "error": {"code": "forbidden", "message": t("api.error.imports", "en")}}  # no language asked: English
        assert get(api, "/api/v1/imports", who, headers={"If-None-Match": "*"})[0] == 403  # never a 304


def test_a_donors_token_reads_no_submitted_row_and_no_note(api):
    with Database(api.db).reading(sight=DONOR_SIGHT) as con:
        published = open_data.build(con)
    sums = every_page(api, "/api/v1/activities", "dora", limit=1000)
    assert list(sums[0]) == list(published.resources[2].rows.columns)  # sums, never rows
    assert len(sums) == len(published.resources[2].rows)
    assert not [r for r in sums if (r["municipality"], r["year"], r["month"]) == ("Tiranë", 2019, 6)]
    everything = json.dumps([get(api, f"/api/v1/{name}", "dora", limit=1000)[2] for name in ENDPOINTS[:-1]],
                            ensure_ascii=False)
    assert SUBMITTED_NOTE not in everything
    statuses = [s for p in every_page(api, "/api/v1/priorities", "dora", limit=1000) for s in p["statuses"]]
    assert {s["note"] for s in statuses} == {None}
    assert {f["note"] for f in every_page(api, "/api/v1/figures", "dora")} == {None}
    rows = every_page(api, "/api/v1/activities", "koord", municipality="Tiranë", year=2019, limit=1000)
    assert [r["note"] for r in rows if r["date"] == "2019-06-15"] == [SUBMITTED_NOTE]  # a coordinator reads it


def test_a_partners_token_reads_only_their_municipalities(api):
    for name in ["priorities", "activities", "figures", "targets"]:
        rows = every_page(api, f"/api/v1/{name}", "arta", limit=1000)
        assert {r.get("municipality") for r in rows} <= {"Tiranë"}, name  # not even the whole network's
        assert rows or name in ("figures", "targets"), name  # the demo's figures and targets are the network's
    assert {r["imported_by"] for r in every_page(api, "/api/v1/imports", "arta")} == {"arta"}
    status, _, body = get(api, "/api/v1/kpis", "arta", municipality="Vlora", lang="en")
    assert (status, body) == (403, {"error": {"code": "forbidden",
                                              "message": "Your token reads Tiranë only, not Vlorë."}})
    status, _, body = get(api, "/api/v1/priorities/2019-2023/" + urllib.parse.quote("Vlorë") + "/VLO-01", "arta",
                          lang="en", headers={"If-None-Match": "*"})  # refused, never answered 304
    assert (status, body["error"]["message"]) == (403, "Your token reads Tiranë only, not Vlorë.")


# ── what is asked ────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("query", [
    {"municipality": ["Tirana", "VLORA"], "year": "2023"},
    {"municipality": "Bashkia Korçë", "year": "2020-2022", "theme": "ujë"},
    {"cycle": "2023-2027"},
])
def test_filters_in_any_spelling_give_the_kpi_object_the_command_line_prints(api, query):
    status, _, body = get(api, "/api/v1/kpis", "dora", **query)
    assert status == 200
    chosen = filters.resolve(**query)
    with Database(api.db).reading(sight=DONOR_SIGHT) as con:
        expected = json.loads(json.dumps(kpis.with_cycles(con, chosen), default=str))
    assert body == expected
    printed = run_cli("kpis", "--approved-only", "--json", *[f"--{k}={v}" for k, values in query.items()
                                                            for v in ([values] if isinstance(values, str) else values)],
                      db=api.db)
    assert json.loads(printed.stdout) == body


@pytest.mark.parametrize(("query", "lang", "message"), [
    ({"municipality": "Tirna"}, "en", "Unknown municipality 'Tirna': no municipality is written like that. "
                                      "Did you mean 'Tiranë'?"),
    ({"year": "20x3"}, "en", "'20x3' is not a year: write it with four digits, e.g. 2023, or a range such as "
                             "2020-2023."),
    ({"limit": "0"}, "en", "'limit' is a whole number from 1 to 1000."),
    ({"limit": "5000"}, "sq", "'limit' është numër i plotë nga 1 deri në 1000."),
    ({"offset": "-1"}, "en", "'offset' is a whole number from 0 to 1000000000."),
    ({"page": "2"}, "en", "This API does not read 'page': the parameters are cycle, format, lang, limit, "
                          "municipality, offset, theme, year."),
    ({"format": "xml"}, "en", "The format 'xml' is not offered: ask for json or csv."),
    ({"limit": "9" * 5000}, "en", "'limit' is a whole number from 1 to 1000."),  # no 500 from int()
    ({"year": "9" * 5000}, "en", f"'{'9' * 40}' is not a year: write it with four digits, e.g. 2023, or a range "
                                 "such as 2020-2023."),
])
def test_a_parameter_that_cannot_be_read_is_a_400_that_says_what_to_write(api, query, lang, message):
    status, _, body = get(api, "/api/v1/priorities", "koord", lang=lang, **query)
    assert (status, body) == (400, {"error": {"code": body["error"]["code"], "message": message}})
    assert body["error"]["code"] in ("unknown_filter", "bad_parameter")


@pytest.mark.parametrize("name", ["priorities", "activities", "figures", "targets", "imports"])
def test_pages_in_a_stable_order_hold_every_row_once(api, name):
    whole = get(api, f"/api/v1/{name}", "koord", limit=1000)[2]
    paged = every_page(api, f"/api/v1/{name}", "koord", limit=7)
    assert paged == whole["data"]
    assert whole["total"] == len(paged) and whole["next"] is None
    status, _, last = get(api, f"/api/v1/{name}", "koord", limit=7, offset=whole["total"])
    assert (status, last["data"], last["next"]) == (200, [], None)


def test_one_priority_by_its_cycle_municipality_and_code(api):
    status, _, body = get(api, "/api/v1/priorities/2019-2023/tirana/tir-01", "dora")
    assert status == 200
    assert (body["municipality"], body["code"], [s["year"] for s in body["statuses"]]) == (
        "Tiranë", "TIR-01", [2020, 2021, 2022, 2023])
    assert body["latest_year"] == 2023 and body["latest_status"] == body["statuses"][-1]["status"]
    status, _, body = get(api, "/api/v1/priorities/2019-2023/" + urllib.parse.quote("Tiranë") + "/TIR-99", "dora",
                          lang="en")
    assert (status, body["error"]["message"]) == (
        404, "There is no priority TIR-99 of Tiranë in the contracts 2019-2023 that your token may read.")


@pytest.mark.parametrize("how", ["parameter", "accept"])
def test_a_list_is_csv_on_request_and_the_kpi_object_json_only(api, how):
    query, headers = ({"format": "csv"}, {}) if how == "parameter" else ({}, {"Accept": "text/csv"})
    status, answer, body = get(api, "/api/v1/activities", "dora", headers=headers, limit=3, **query)
    assert status == 200 and answer["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["municipality", "cycle", "year", "month", "type", "events", "participants", "women", "men",
                       "youth", "women_in_split", "men_in_split"]
    assert len(rows) == 4
    status, _, body = get(api, "/api/v1/kpis", "dora", headers=headers, lang="en", **query)
    assert (status, body["error"]["message"]) == (406, "This answer is given as JSON only: leave out format=csv.")


def test_unknown_paths_are_404_with_a_sentence_and_the_openapi_document_is_served(api):
    status, _, body = get(api, "/api/v1/nothing/here", lang="en")
    assert (status, body) == (404, {"error": {"code": "not_found", "message": (
        "There is nothing at /api/v1/nothing/here: the API's paths are described at /api/v1/openapi.json.")}})
    status, _, document = get(api, "/api/v1/openapi.json")
    assert (status, document["openapi"]) == (200, "3.1.0")
    assert sorted(document["paths"]) == sorted([*(f"/api/v1/{name}" for name in ENDPOINTS),
                                                "/api/v1/priorities/{cycle}/{municipality}/{code}"])


# ── conditional requests, tokens, the rate limit, CORS ───────────────────────────────────────

def test_a_conditional_request_answers_304_until_the_data_changes(api, tmp_path):
    status, first, _ = get(api, "/api/v1/kpis", "koord", year=2024)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert status == 200 and etag.startswith('W/"') and email.utils.parsedate_to_datetime(modified)
    assert get(api, "/api/v1/kpis", "koord", headers={"If-None-Match": etag}, year=2024)[0] == 304
    assert get(api, "/api/v1/kpis", "koord", headers={"If-Modified-Since": modified}, year=2024)[0] == 304
    assert get(api, "/api/v1/kpis", "koord", headers={"If-None-Match": etag}, year=2025)[0] == 200  # another view
    assert get(api, "/api/v1/kpis", "dora", headers={"If-None-Match": etag}, year=2024)[0] == 200  # another sight
    run_cli("tokens", "add", "koord", "a sign of life", db=api.db)  # not a change of the data
    assert get(api, "/api/v1/kpis", "koord", headers={"If-None-Match": etag}, year=2024)[0] == 304
    file = tmp_path / "vlore_2024.xlsx"
    file.write_bytes(xlsx([ACTIVITY_HEADER, ["12.03.2024", "Vlorë", "Forum publik", 1, 80, 40, 40, "Rrugët"]]))
    assert run_cli("import", file, db=api.db).returncode == 0
    status, answer, _ = get(api, "/api/v1/kpis", "koord", headers={"If-None-Match": etag}, year=2024)
    assert status == 200 and answer["ETag"] != etag


def test_a_revoked_token_answers_401_at_once(api):
    assert get(api, "/api/v1/kpis", "vera")[0] == 200
    with Database(api.db).reading() as con:
        [token_id] = con.execute("SELECT id FROM api_tokens WHERE name = 'vera'").fetchone()
    result = run_cli("tokens", "revoke", str(token_id), db=api.db)
    assert result.stdout == f"Token #{token_id} revoked: it stops working at once.\n"
    status, _, body = get(api, "/api/v1/kpis", "vera", lang="en")
    assert (status, body["error"]["message"]) == (401, t("api.error.token_unknown", "en"))


def test_requests_past_the_rate_are_answered_429_with_retry_after_and_uses_are_counted(api):
    answers = []
    while len(answers) < 3 * settings.API_REQUESTS_PER_MINUTE and not any(a[0] == 429 for a in answers):
        answers.append(get(api, "/api/v1/targets", "rita", limit=1))
    refused = [a for a in answers if a[0] == 429]
    assert [a[0] for a in answers[:settings.API_REQUESTS_PER_MINUTE]] == [200] * settings.API_REQUESTS_PER_MINUTE
    assert refused and int(refused[0][1]["Retry-After"]) >= 1
    assert refused[0][2]["error"]["message"].startswith("Too many requests with this token: try again in ")
    time.sleep(settings.TOKEN_USES_FLUSH_SECONDS)
    get(api, "/api/v1/targets", "rita")  # the next use has the uses counted so far written, by a thread of its own
    deadline = time.monotonic() + 30
    while True:
        with Database(api.db).reading() as con:
            uses, first, last = con.execute("SELECT uses, first_used_at, last_used_at FROM api_tokens "
                                            "WHERE name = 'rita'").fetchone()
        if uses == len(answers) + 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert uses == len(answers) + 1 and first < last


@pytest.mark.parametrize(("origin", "allowed"), [(ALLOWED_ORIGIN, True), ("https://elsewhere.example", False)])
def test_cors_answers_only_the_configured_origins(api, origin, allowed):
    _, answer, _ = get(api, "/api/v1/kpis", "dora", headers={"Origin": origin})
    assert answer.get("Access-Control-Allow-Origin") == (origin if allowed else None)
    preflight = _open(urllib.request.Request(api.url + "/api/v1/kpis", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}))
    assert preflight.status == 204
    assert preflight.headers.get("Access-Control-Allow-Headers") == (
        "Authorization, Accept, If-None-Match, If-Modified-Since" if allowed else None)


def test_the_token_is_never_written_to_the_servers_log_or_the_database(api):
    log = (Path(api.db).parent / "streamlit.log").read_text(encoding="utf-8")
    with Database(api.db).reading() as con:
        stored = json.dumps(con.execute("SELECT * FROM api_tokens").fetchall(), default=str)
        audit = json.dumps(con.execute("SELECT * FROM audit").fetchall(), default=str)
    for token in api.tokens.values():
        assert token not in log and token not in stored and token not in audit


# ── the OpenAPI description against the running server ───────────────────────────────────────

@pytest.fixture(scope="module")
def checking_tokens(api):
    """A coordinator's token per path: the checks' requests never reach one token's rate limit."""
    return {path: api_tokens.create(Database(api.db), "koord", f"schemathesis {path}", access.cli_viewer())
            for path in api_schema.document()["paths"]}


# What every answer must be: no 5xx, a status, a content type, headers and a body the document names.
CONFORMANCE = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
               schemathesis.checks.content_type_conformance, schemathesis.checks.response_headers_conformance,
               schemathesis.checks.response_schema_conformance]


@pytest.mark.parametrize("path", sorted(api_schema.document()["paths"]))
def test_every_answer_matches_the_openapi_description(api, checking_tokens, path):
    """schemathesis generates requests from the document the server serves (filters, pages, formats,
    path parameters) and checks each answer against it."""
    described = schemathesis.openapi.from_url(api.url + "/api/v1/openapi.json")
    [operation] = [found.ok() for found in described.get_all_operations() if found.ok().path == path]
    headers = {"Authorization": f"Bearer {checking_tokens[path]}"}

    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(max_examples=25, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    def answers_as_described(case):
        case.call_and_validate(headers=headers, checks=CONFORMANCE)

    answers_as_described()


# ── the public donor view ────────────────────────────────────────────────────────────────────

@pytest.fixture(scope="module")
def public_api(api, tmp_path_factory):
    """The same database served with the public donor view on (POP_PUBLIC_VIEW=1)."""
    folder = tmp_path_factory.mktemp("public")
    process, url = start_streamlit({**os.environ, "POP_DB": str(api.db), "POP_PUBLIC_VIEW": "1"},
                                   folder / "streamlit.log")
    try:
        yield SimpleNamespace(url=url, db=api.db, tokens=api.tokens)
    finally:
        stop(process)


def test_with_the_public_view_on_the_api_answers_without_a_token_what_donors_see(public_api):
    status, _, body = get(public_api, "/api/v1/activities", limit=1000)
    assert status == 200
    assert list(body["data"][0]) == ["municipality", "cycle", "year", "month", "type", "events", "participants",
                                     "women", "men", "youth", "women_in_split", "men_in_split"]  # sums, as a donor's
    assert get(public_api, "/api/v1/kpis")[2] == get(public_api, "/api/v1/kpis", "dora")[2]
    status, _, body = get(public_api, "/api/v1/imports", lang="en")
    assert (status, body["error"]["message"]) == (403, t("api.error.imports", "en"))
    status, _, body = get(public_api, "/api/v1/kpis", headers={"Authorization": "Bearer pop_wrong"}, lang="en")
    assert (status, body["error"]["message"]) == (401, t("api.error.token_unknown", "en"))  # a token given is checked
