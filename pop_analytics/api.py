"""The read-only HTTP API beside the app (/api/v1/…, served by serve.py with the sign-in routes):
the network's figures for programs, with the same rules of sight as the pages.

A request reads as the user of its token (`Authorization: Bearer pop_…`, pop_analytics.api_tokens):
a donor's token approved data without notes, activities as sums; a partner's their municipalities.
Without a token only the public donor view's data, when it is on (POP_PUBLIC_VIEW=1). Filters are
the pages' (municipality, year, theme, cycle; any spelling). Lists are paged in a stable order;
`format=csv` (or `Accept: text/csv`) gives CSV. Every answer carries an ETag and Last-Modified from
the data version, and a conditional request answers 304. Errors are JSON with a sentence in the
requested language (`lang=`, else Accept-Language, else English). The description of all of it is
/api/v1/openapi.json (pop_analytics.api_schema).
"""
from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import api_schema, api_tokens, filters, kpis, queries, settings, targets
from .access import Viewer, public_viewer
from .database import Database
from .errors import DatabaseProblem, UnknownFilterValue
from .filters import Filters
from .i18n import requested, t
from .stores import open_database

PREFIX = "/api/v1"


class ApiError(Exception):
    """An answer other than 200: its status, a code programs test, the sentence people read, and
    headers (WWW-Authenticate, Retry-After)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        super().__init__(code)


@dataclass(frozen=True)
class Asked:
    """One request as the API reads it: who, in which language, for what."""

    viewer: Viewer
    lang: str
    chosen: Filters
    limit: int
    offset: int
    csv: bool


# ── reading a request ────────────────────────────────────────────────────────────────────────

def _db() -> Database:
    return open_database(settings.database_spec())


def _lang(request: Request) -> str:
    """A program sends no Accept-Language as a rule: English unless it asks for another."""
    return requested(request.query_params.get("lang", ""), request.headers.get("accept-language", ""), "en")


def _token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _viewer(request: Request, lang: str) -> tuple[Viewer, str]:
    """The user the request reads as, and what it is counted under for the rate limit. A token that
    is not known is counted against the address it came from: guessing tokens is slowed like any
    other flood."""
    address = request.client.host if request.client else None
    token = _token(request)
    if token is None:
        if settings.PUBLIC_DONOR_VIEW:
            return public_viewer(address), f"address:{address}"
        raise ApiError(401, "unauthorized", t("api.error.unauthorized", lang),
                       {"WWW-Authenticate": 'Bearer realm="POP Analytics"'})
    found = api_tokens.viewer_of(_db(), token, address)
    if found is None:
        _limit(f"address:{address}", lang)
        raise ApiError(401, "unauthorized", t("api.error.token_unknown", lang),
                       {"WWW-Authenticate": 'Bearer realm="POP Analytics", error="invalid_token"'})
    return found[1], f"token:{found[0]}"


def _number(request: Request, name: str, default: int, low: int, high: int, lang: str) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not low <= int(raw) <= high:
        raise ApiError(400, "bad_parameter", t("api.error.number", lang, name=name, low=low, high=high))
    return int(raw)


def _filters(request: Request, viewer: Viewer, lang: str) -> Filters:
    query = request.query_params
    try:
        chosen = filters.resolve(municipality=query.getlist("municipality"), year=query.getlist("year"),
                                 theme=query.getlist("theme"), cycle=query.get("cycle"))
    except UnknownFilterValue as unknown:
        raise ApiError(400, "unknown_filter", filters.unknown_sentence(unknown, lang)) from None
    if viewer.municipalities is not None:
        outside = [m for m in chosen.municipality if m not in viewer.municipalities]
        if outside:
            raise ApiError(403, "forbidden", t("api.error.municipality", lang, municipality=outside[0],
                                               yours=", ".join(viewer.municipalities)))
    return chosen


def _asked(request: Request, viewer: Viewer, lang: str) -> Asked:
    known = {"municipality", "year", "theme", "cycle", "limit", "offset", "format", "lang"}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ApiError(400, "bad_parameter", t("api.error.parameter", lang, name=unknown[0],
                                               known=", ".join(sorted(known))))
    wanted = request.query_params.get("format", "")
    if wanted not in ("", "json", "csv"):
        raise ApiError(400, "bad_parameter", t("api.error.format", lang, value=wanted))
    accepted = request.headers.get("accept", "").split(",")[0].split(";")[0].strip().lower()
    csv = wanted == "csv" or (not wanted and accepted == "text/csv")  # what the client lists first
    return Asked(viewer, lang, _filters(request, viewer, lang),
                 _number(request, "limit", settings.API_PAGE_ROWS, 1, settings.API_MAX_PAGE_ROWS, lang),
                 _number(request, "offset", 0, 0, 10**9, lang), csv)


# ── the rate limit ───────────────────────────────────────────────────────────────────────────

class _Buckets:
    """A token bucket per token (or address): settings.API_REQUESTS_PER_MINUTE, refilled evenly."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._left: dict[str, tuple[float, float]] = {}

    def wait(self, key: str) -> float:
        """0 when a request may go now (and it is counted), else the seconds until one may."""
        size = float(settings.API_REQUESTS_PER_MINUTE)
        rate = size / 60.0
        now = time.monotonic()
        with self._lock:
            if len(self._left) > 10_000:  # many addresses of the public view: those full again go
                self._left = {k: v for k, v in self._left.items() if now - v[1] < 60.0}
            left, then = self._left.get(key, (size, now))
            left = min(size, left + (now - then) * rate)
            if left >= 1.0:
                self._left[key] = (left - 1.0, now)
                return 0.0
            self._left[key] = (left, now)
            return (1.0 - left) / rate


_buckets = _Buckets()


def _limit(counted_as: str, lang: str) -> None:
    wait = _buckets.wait(counted_as)
    if wait:
        raise ApiError(429, "too_many_requests", t("api.error.rate", lang, seconds=math.ceil(wait)),
                       {"Retry-After": str(math.ceil(wait))})


# ── answers ──────────────────────────────────────────────────────────────────────────────────

def _jsonable(value: object) -> object:
    """A value as JSON writes it: a missing one (None, NaN, NaT) null, a date or time in ISO 8601."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


# Columns that hold a day (DuckDB's DATE arrives as a pandas timestamp): written 2025-12-10.
_DAY_COLUMNS = frozenset({"date", "date_from", "date_to"})


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    days = [c for c in frame.columns if c in _DAY_COLUMNS and pd.api.types.is_datetime64_any_dtype(frame[c])]
    frame = frame.assign(**{c: frame[c].dt.date for c in days})
    return [{str(k): _jsonable(v) for k, v in row.items()} for row in frame.astype(object).to_dict(orient="records")]


def _page(request: Request, asked: Asked, rows: list[dict[str, Any]], total: int) -> dict[str, Any]:
    after = asked.offset + len(rows)
    following = None
    if after < total:  # at the address people use (settings.BASE_URL) when the app is behind a proxy
        link = request.url.include_query_params(offset=after, limit=asked.limit)
        following = (settings.BASE_URL + link.path + "?" + link.query) if settings.BASE_URL else str(link)
    return {"data": rows, "total": total, "limit": asked.limit, "offset": asked.offset, "next": following}


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    frame = pd.DataFrame(rows, columns=columns)
    return frame.to_csv(index=False, lineterminator="\n")


def _error(error: ApiError) -> JSONResponse:
    return JSONResponse({"error": {"code": error.code, "message": error.message}}, status_code=error.status,
                        headers=error.headers)


def _cors(request: Request, response: Response) -> Response:
    origin = request.headers.get("origin", "").rstrip("/")
    if origin and origin in settings.API_CORS_ORIGINS:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Retry-After"
        response.headers["Vary"] = "Origin"
    return response


# ── the endpoints: each reads one snapshot as the request's user ─────────────────────────────

Read = Callable[[duckdb.DuckDBPyConnection, Asked, Request], tuple[Any, list[str] | None]]


def _kpis(con: duckdb.DuckDBPyConnection, asked: Asked, request: Request) -> tuple[Any, list[str] | None]:
    return _jsonable(kpis.with_cycles(con, asked.chosen)), None


_PRIORITY_COLUMNS = ["cycle", "municipality", "code", "title", "theme", "latest_year", "latest_status"]


def _grouped_priorities(frame: pd.DataFrame) -> list[dict[str, Any]]:
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in _records(frame):
        key = (row["cycle"], row["municipality"], row["code"])
        priority = found.setdefault(key, {"cycle": row["cycle"], "municipality": row["municipality"],
                                          "code": row["code"], "title": row["title"], "theme": row["theme"],
                                          "statuses": []})
        priority["statuses"].append({"year": row["year"], "status": row["status"], "source": row["source"],
                                     "note": row["note"]})
    for priority in found.values():
        latest = priority["statuses"][-1]
        priority["latest_year"], priority["latest_status"] = latest["year"], latest["status"]
    return list(found.values())


def _priorities(con: duckdb.DuckDBPyConnection, asked: Asked, request: Request) -> tuple[Any, list[str] | None]:
    everything = _grouped_priorities(queries.priority_statuses(con, asked.chosen))
    rows = everything[asked.offset:asked.offset + asked.limit]
    if asked.csv:
        return [{k: r[k] for k in _PRIORITY_COLUMNS} for r in rows], _PRIORITY_COLUMNS
    return _page(request, asked, rows, len(everything)), None


def _priority(con: duckdb.DuckDBPyConnection, asked: Asked, request: Request) -> tuple[Any, list[str] | None]:
    cycle, code = request.path_params["cycle"], request.path_params["code"]
    try:
        municipality = filters.resolve_municipality(request.path_params["municipality"])
        cycle = filters.resolve_cycle(cycle) or cycle
    except UnknownFilterValue as unknown:
        raise ApiError(404, "not_found", filters.unknown_sentence(unknown, asked.lang)) from None
    mine = asked.viewer.municipalities
    if mine is not None and municipality not in mine:
        raise ApiError(403, "forbidden", t("api.error.municipality", asked.lang, municipality=municipality,
                                           yours=", ".join(mine)))
    found = _grouped_priorities(queries.priority_statuses(con, Filters(municipality=(municipality,), cycle=cycle)))
    match = [p for p in found if p["code"].casefold() == code.casefold()]
    if not match:
        raise ApiError(404, "not_found", t("api.error.priority", asked.lang, cycle=cycle, municipality=municipality,
                                           code=code))
    return match[0], None


_ROW_COLUMNS = ["date", "municipality", "type", "events", "participants", "women", "men", "youth", "themes",
                "partner", "note", "link", "source"]
_SUM_COLUMNS = ["municipality", "cycle", "year", "month", "type", "events", "participants", "women", "men", "youth",
                "women_in_split", "men_in_split"]


def _activities(con: duckdb.DuckDBPyConnection, asked: Asked, request: Request) -> tuple[Any, list[str] | None]:
    """Rows for a reader of rows (coordinators, a partner's own), sums by month and type for donors."""
    if asked.viewer.may("read_rows"):
        frame = queries.activity_rows(con, asked.chosen, asked.limit, asked.offset)
        total, columns = queries.activity_rows_count(con, asked.chosen), _ROW_COLUMNS
    else:
        frame = queries.activity_sums(con, asked.chosen, asked.limit, asked.offset)
        total, columns = queries.activity_sums_count(con, asked.chosen), _SUM_COLUMNS
    rows = _records(frame[columns])
    return (rows, columns) if asked.csv else (_page(request, asked, rows, total), None)


def _listing(read: Callable[[duckdb.DuckDBPyConnection, Asked], pd.DataFrame]) -> Read:
    def run(con: duckdb.DuckDBPyConnection, asked: Asked, request: Request) -> tuple[Any, list[str] | None]:
        frame = read(con, asked)
        rows = _records(frame.iloc[asked.offset:asked.offset + asked.limit])
        return (rows, list(frame.columns)) if asked.csv else (_page(request, asked, rows, len(frame)), None)
    return run


def _imports(con: duckdb.DuckDBPyConnection, asked: Asked) -> pd.DataFrame:
    if not asked.viewer.may("history"):
        raise ApiError(403, "forbidden", t("api.error.imports", asked.lang))
    mine = None if asked.viewer.may("review") else asked.viewer.name  # a partner: their own imports
    return queries.imports(con, by=mine)


ENDPOINTS: dict[str, Read] = {
    "kpis": _kpis,
    "priorities": _priorities,
    "priority": _priority,
    "activities": _activities,
    "figures": _listing(lambda con, asked: queries.figures(con, asked.chosen)),
    "targets": _listing(lambda con, asked: targets.progress(con, asked.chosen)),
    "imports": _listing(_imports),
}


def _stamp(con: duckdb.DuckDBPyConnection, data_version: str, viewer: Viewer, request: Request,
           asked_csv: bool) -> tuple[str, dt.datetime | None]:
    """The ETag (the data's version, who reads, what is asked) and when the data last changed (an
    import, an approval, a rejection or an undo): sign-ins and counted token uses change neither."""
    approved = " WHERE review = 'approved'" if viewer.sight().approved_only else ""  # no sign of a submitted one
    row = con.execute(f"""SELECT max(greatest(imported_at, coalesce(reviewed_at, imported_at),
                                              coalesce(undone_at, imported_at))) FROM imports{approved}""").fetchone()
    key = json.dumps([data_version, repr(viewer.sight()), viewer.role, viewer.municipalities, request.url.path,
                      sorted(request.query_params.multi_items()), asked_csv], default=str)
    return f'W/"{hashlib.sha256(key.encode()).hexdigest()[:32]}"', row[0] if row else None


def _not_modified(request: Request, etag: str, changed: dt.datetime | None) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since and changed is not None:
        try:
            then = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return then.tzinfo is not None and changed.astimezone(dt.UTC).replace(microsecond=0) <= then
    return False


def _answer(name: str, request: Request) -> Response:
    """One endpoint's answer, or its error (in a worker thread: the database is read blocking)."""
    lang = _lang(request)
    try:
        viewer, counted_as = _viewer(request, lang)
        _limit(counted_as, lang)
        asked = _asked(request, viewer, lang)
        if name == "imports" and not viewer.may("history"):  # refused before any 304 could answer
            raise ApiError(403, "forbidden", t("api.error.imports", lang))
        if asked.csv and name in ("kpis", "priority"):
            raise ApiError(406, "not_acceptable", t("api.error.csv", lang))
        with _db().snapshot(sight=viewer.sight()) as snapshot:
            con = snapshot.connection()
            etag, changed = _stamp(con, snapshot.data_version, viewer, request, asked.csv)
            headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
            if changed is not None:
                headers["Last-Modified"] = email.utils.format_datetime(changed.astimezone(dt.UTC),
                                                                       usegmt=True)
            # one priority is read first: a 404 or 403 is never answered with a 304
            early = ENDPOINTS[name](con, asked, request) if name == "priority" else None
            if _not_modified(request, etag, changed):
                return Response(status_code=304, headers=headers)
            body, columns = early or ENDPOINTS[name](con, asked, request)
    except ApiError as error:
        return _error(error)
    except DatabaseProblem as problem:
        return _error(ApiError(503, "unavailable", problem.message(lang), {"Retry-After": "5"}))
    if columns is not None:
        return Response(_csv(body, columns), media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse(body, headers=headers)


def _endpoint(name: str) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        return _cors(request, await run_in_threadpool(_answer, name, request))
    return handle


async def _openapi(request: Request) -> Response:
    return _cors(request, JSONResponse(api_schema.document()))


async def _preflight(request: Request) -> Response:
    """CORS preflight: allowed origins may send the Authorization header with a GET."""
    response = Response(status_code=204)
    if request.headers.get("origin", "").rstrip("/") in settings.API_CORS_ORIGINS:
        response.headers["Access-Control-Allow-Methods"] = "GET"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Accept, If-None-Match, If-Modified-Since"
        response.headers["Access-Control-Max-Age"] = "600"
    return _cors(request, response)


async def _unknown(request: Request) -> Response:
    return _cors(request, _error(ApiError(404, "not_found", t("api.error.path", _lang(request),
                                                                 path=request.url.path[:200]))))


def routes() -> list[Route]:
    paths = {"kpis": "/kpis", "priorities": "/priorities", "priority": "/priorities/{cycle}/{municipality}/{code}",
             "activities": "/activities", "figures": "/figures", "targets": "/targets", "imports": "/imports"}
    found = [Route(PREFIX + path, _endpoint(name), methods=["GET"]) for name, path in paths.items()]
    found += [Route(PREFIX + path, _preflight, methods=["OPTIONS"]) for path in paths.values()]
    found.append(Route(PREFIX + "/openapi.json", _openapi, methods=["GET"]))
    found.append(Route(PREFIX + "/{rest:path}", _unknown, methods=["GET"]))
    return found
