"""Building located, bilingual problems from message codes."""
from __future__ import annotations

from .errors import Problem
from .i18n import catalogue, t


def localized(sq: str, en: str) -> dict[str, str]:
    """A message parameter that is itself a word to translate."""
    return {"sq": sq, "en": en}


def _render(code: str, lang: str, params: dict) -> str:
    params = {k: (v[lang] if isinstance(v, dict) else v) for k, v in params.items()}
    key = f"problem.{code}" if f"problem.{code}" in catalogue(lang) else f"warning.{code}"
    text = t(key, lang, **params)
    if params.get("suggestion"):
        text += " " + t("problem.did_you_mean", lang, suggestion=params["suggestion"])
    return text


def problem(code: str, *, sheet: str, row: int | None = None, column: str = "", value: object = "", **params) -> Problem:
    """A problem (or warning) located in a sheet; params fill the message, localized() ones per language."""
    shown = "" if value is None else str(value)
    params = {"sheet": sheet, "row": row, "column": column, "value": shown, **params}
    return Problem(code, sheet, row, column, shown, _render(code, "sq", params), _render(code, "en", params))
