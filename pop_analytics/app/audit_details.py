"""The audit log's details as a sentence in the reader's language: the log stores each entry's
details as JSON (keys in English, values as stored); the Audit page reads them as a sentence per
action, and a key no sentence knows as "key: value", so that nothing stored is hidden."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .. import matching, present
from ..i18n import catalogue, t

Params = Callable[[dict, str], dict[str, object]]


def _import(detail: dict, lang: str) -> dict[str, object]:
    kinds = str(detail["kind"]).split("+")
    return {"file": detail["file"], "rows": present.rows_phrase(int(detail["rows"]), lang),
            "kind": " + ".join(t(f"kind.{k}", lang) for k in kinds),
            "review": t(f"audit_detail.review.{detail['review']}", lang)}


def _comment(detail: dict, lang: str) -> str:
    comment = str(detail.get("comment") or "").strip()
    return t("audit_detail.comment", lang, comment=comment) if comment else t("audit_detail.no_comment", lang)


def _removed(detail: dict, lang: str) -> dict[str, object]:
    removed = present.removed_phrase(int(detail["rows"]), lang)
    return {"removed": removed[:1].upper() + removed[1:], "comment": _comment(detail, lang)}


def _mapping(detail: dict, lang: str) -> dict[str, object]:
    vocabulary = str(detail["vocabulary"])
    named = f"col.{vocabulary}"
    return {"value": detail["value"], "term": matching.term_label(vocabulary, str(detail["key"]), lang),
            "vocabulary": t(named, lang) if named in catalogue(lang) else vocabulary, "why": detail.get("why") or "—"}


def _user(detail: dict, lang: str) -> dict[str, object]:
    places = detail.get("municipalities") or []
    return {"role": t(f"role.{detail['role']}", lang),
            "municipalities": ", ".join(map(str, places)) if places else t("account.all_municipalities", lang)}


def _file_name(value: object) -> str:
    """A file's own name, never the folder it is in on the server."""
    return Path(str(value)).name if value else "—"


def _restore(detail: dict, lang: str) -> dict[str, object]:
    carried = detail.get("carried")
    return {"backup": _file_name(detail["backup"]), "replaced": _file_name(detail.get("replaced")),
            "carried": present.number(carried, lang) if carried is not None else "—",
            "count": present.number(int(detail["sessions_ended"]), lang)}


# Per action: the keys its sentence reads, and how they become the sentence's parameters.
SENTENCES: dict[str, tuple[frozenset[str], Params]] = {
    "import": (frozenset({"file", "rows", "kind", "review"}), _import),
    "approve": (frozenset({"comment"}), lambda d, lang: {"comment": _comment(d, lang)}),
    "reject": (frozenset({"rows", "comment"}), _removed),
    "undo": (frozenset({"rows"}), _removed),
    "mapping_add": (frozenset({"vocabulary", "value", "key", "why"}), _mapping),
    "user_add": (frozenset({"role", "municipalities"}), _user),
    "signin_slowed": (frozenset({"refused"}), lambda d, lang: {"count": present.number(int(d["refused"]), lang)}),
    "restore": (frozenset({"backup", "replaced", "carried", "sessions_ended"}), _restore),
    "token_add": (frozenset({"token", "label"}), lambda d, lang: {"token": d["token"], "label": d["label"]}),
    "token_revoke": (frozenset({"token"}), lambda d, lang: {"token": d["token"]}),
}


def sentence(action: str, detail: object, lang: str) -> str:
    """An audit entry's details in the reader's language ('' when it has none: NULL, read as NaN)."""
    if not isinstance(detail, str) or not detail:
        return ""
    try:
        found = json.loads(detail)
    except ValueError:
        return str(detail)
    if not isinstance(found, dict):
        return str(detail)
    keys, params = SENTENCES.get(action, (frozenset(), None))
    parts = []
    if params is not None and keys <= set(found):
        try:
            parts.append(t(f"audit_detail.{action}", lang, **params(found, lang)))
        except (KeyError, TypeError, ValueError):  # an entry written in another shape: shown as stored
            keys = frozenset()
    else:
        keys = frozenset()
    parts += [f"{key}: {_value(value)}" for key, value in found.items() if key not in keys]
    return " · ".join(parts)


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "—" if value is None else str(value)
