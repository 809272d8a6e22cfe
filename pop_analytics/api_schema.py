"""The API's description as OpenAPI 3.1 (/api/v1/openapi.json): every path, parameter, answer and
error of pop_analytics.api, so that a program can be generated against it and schemathesis can
check the running server against it (tests/test_api.py)."""
from __future__ import annotations

from typing import Any

from . import settings

_NULLABLE_TEXT = {"type": ["string", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_NULLABLE_INTEGER = {"type": ["integer", "null"]}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def _page(item: str) -> dict[str, Any]:
    return _object({"data": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                    "total": {"type": "integer", "minimum": 0},
                    "limit": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_ROWS},
                    "offset": {"type": "integer", "minimum": 0},
                    "next": {"type": ["string", "null"], "description": "The next page's address, null on the last"}})


_COUNTS = {"type": "integer", "minimum": 0}

SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _object({"code": {"type": "string"},
                                        "message": {"type": "string", "description": "A sentence in the "
                                                                                     "requested language"}})}),
    "Kpis": {"type": "object", "description": "The KPI object of README › KPI definitions",
             "required": ["filters", "priorities", "activities", "by_municipality", "municipalities_covered",
                          "priorities_by_cycle"],
             "properties": {"filters": {"type": "object"}, "priorities": {"type": "object"},
                            "activities": {"type": "object"}, "by_municipality": {"type": "array"},
                            "municipalities_covered": _COUNTS, "priorities_by_cycle": {"type": "array"}}},
    "Status": _object({"year": {"type": "integer"}, "status": {"type": "string",
                                                              "enum": ["fully", "partially", "not_addressed"]},
                       "source": _NULLABLE_TEXT, "note": _NULLABLE_TEXT}),
    "Priority": _object({"cycle": {"type": "string"}, "municipality": {"type": "string"},
                         "code": {"type": "string"}, "title": {"type": "string"}, "theme": {"type": "string"},
                         "statuses": {"type": "array", "items": {"$ref": "#/components/schemas/Status"}},
                         "latest_year": {"type": "integer"}, "latest_status": {"type": "string"}}),
    "ActivityRow": _object({"date": {"type": "string", "format": "date"}, "municipality": {"type": "string"},
                            "type": {"type": "string"}, "events": _COUNTS, "participants": _NULLABLE_INTEGER,
                            "women": _NULLABLE_INTEGER, "men": _NULLABLE_INTEGER, "youth": _NULLABLE_INTEGER,
                            "themes": {"type": "string"}, "partner": _NULLABLE_TEXT, "note": _NULLABLE_TEXT,
                            "link": _NULLABLE_TEXT, "source": _NULLABLE_TEXT}),
    "ActivitySum": _object({"municipality": {"type": "string"}, "cycle": {"type": "string"},
                            "year": {"type": "integer"}, "month": {"type": "integer", "minimum": 1, "maximum": 12},
                            "type": {"type": "string"}, "events": _COUNTS, "participants": _COUNTS, "women": _COUNTS,
                            "men": _COUNTS, "youth": _COUNTS, "women_in_split": _COUNTS, "men_in_split": _COUNTS}),
    "Activity": {"description": "A row (coordinators; a partner's own) or a month's sum (donors)",
                 "anyOf": [{"$ref": "#/components/schemas/ActivityRow"},
                           {"$ref": "#/components/schemas/ActivitySum"}]},
    "Figure": _object({"year": {"type": "integer"}, "date_from": _NULLABLE_TEXT, "date_to": _NULLABLE_TEXT,
                       "municipality": _NULLABLE_TEXT, "type": _NULLABLE_TEXT, "indicator": {"type": "string"},
                       "value": {"type": "number"}, "source": _NULLABLE_TEXT, "note": _NULLABLE_TEXT}),
    "Target": _object({"objective": {"type": "string"}, "indicator": {"type": "string"}, "year": {"type": "integer"},
                       "municipality": _NULLABLE_TEXT, "target": {"type": "number"}, "unit": {"type": "string"},
                       "achieved": _NULLABLE_NUMBER, "reached_pct": _NULLABLE_NUMBER,
                       "source": {"type": "string", "enum": ["itemised", "reported"]}}),
    "Import": _object({"id": {"type": "integer"}, "imported_at": {"type": "string"}, "imported_by": {"type": "string"},
                       "file_name": {"type": "string"}, "kind": {"type": "string"}, "rows": _COUNTS,
                       "import_status": {"type": "string", "enum": ["submitted", "approved", "rejected", "undone"]},
                       "reviewed_by": _NULLABLE_TEXT, "reviewed_at": _NULLABLE_TEXT,
                       "review_comment": _NULLABLE_TEXT, "undone_at": _NULLABLE_TEXT}),
}
for _name in ("Priority", "Activity", "Figure", "Target", "Import"):
    SCHEMAS[f"{_name}Page"] = _page(_name)


def _parameter(name: str, schema: dict[str, Any], description: str, where: str = "query",
               many: bool = False) -> dict[str, Any]:
    found = {"name": name, "in": where, "description": description, "required": where == "path",
             "schema": {"type": "array", "items": schema} if many else schema}
    if many:
        found.update(style="form", explode=True)
    return found


_LANG = _parameter("lang", {"type": "string", "enum": list(settings.LANGUAGES)},
                   "The language of error sentences (else Accept-Language, else English)")
_FILTERS = [
    _parameter("municipality", {"type": "string"}, "A municipality in any spelling; repeatable", many=True),
    _parameter("year", {"type": "string"}, "A year or a span (2020-2023); repeatable", many=True),
    _parameter("theme", {"type": "string"}, "A theme's key or label; repeatable", many=True),
    _parameter("cycle", {"type": "string"}, "A contract cycle, e.g. 2019-2023"),
    _LANG,
]
_PAGING = [
    _parameter("limit", {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_ROWS,
                         "default": settings.API_PAGE_ROWS}, "Rows per page"),
    _parameter("offset", {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0}, "Rows skipped"),
    _parameter("format", {"type": "string", "enum": ["json", "csv"]}, "csv for CSV (or Accept: text/csv)"),
]


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_ERRORS = {"304": {"description": "Not modified since the ETag or date given"},
           "400": _error("A filter or parameter that cannot be read, with a sentence saying what to write"),
           "401": _error("No token (and no public view), or a token unknown or revoked"),
           "403": _error("The token's user may not read this (another municipality, imports of a donor)"),
           "429": _error("Too many requests for this token: try again after Retry-After seconds"),
           "503": _error("The database cannot be read now")}


def _get(summary: str, schema: str, parameters: list[dict[str, Any]], csv: bool, extra: dict | None = None
         ) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    responses = {"200": {"description": "OK", "content": content}, **_ERRORS, **(extra or {})}
    if not csv:
        responses["406"] = _error("This answer is JSON only")
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def document() -> dict[str, Any]:
    listing = [*_FILTERS, *_PAGING]
    return {
        "openapi": "3.1.0",
        "info": {"title": "POP Analytics API", "version": "1",
                 "description": "The POP Network's monitoring figures, read-only, with the dashboard's rules of "
                                "sight: a token acts as its user (README › API and open data)."},
        "servers": [{"url": settings.BASE_URL or "/"}],
        "security": [{"token": []}, {}],
        "paths": {
            "/api/v1/kpis": _get("The KPI object for the filters", "Kpis", [*_FILTERS,
                                 _parameter("format", {"type": "string", "enum": ["json"]}, "JSON only")], False),
            "/api/v1/priorities": _get("Priorities with their status each year", "PriorityPage", listing, True),
            "/api/v1/priorities/{cycle}/{municipality}/{code}": _get(
                "One priority with its status each year", "Priority",
                [_parameter("cycle", {"type": "string"}, "The contract cycle", "path"),
                 _parameter("municipality", {"type": "string"}, "The municipality, any spelling", "path"),
                 _parameter("code", {"type": "string"}, "The priority's code", "path"), _LANG], False,
                {"404": _error("No such priority that this token may read")}),
            "/api/v1/activities": _get("Activities: rows, or sums by month and type for donors", "ActivityPage",
                                       listing, True),
            "/api/v1/figures": _get("Figures reported as totals", "FigurePage", listing, True),
            "/api/v1/targets": _get("Targets and what was achieved", "TargetPage", listing, True),
            "/api/v1/imports": _get("Imports (coordinators; a partner's own)", "ImportPage", listing, True),
        },
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                                     "description": "An API token (pop_…) from the account page "
                                                                    "or `python -m pop_analytics tokens add`"}}},
    }
