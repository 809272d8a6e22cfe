"""The few rules of the page's look that Streamlit has no option for, in one stylesheet per language."""
from __future__ import annotations

import json

import streamlit as st

from .. import settings
from ..i18n import t


def stylesheet(lang: str) -> str:
    """Tile labels wrap instead of being cut ('Prioritete të adresu…'); the upload box says its
    words (button, size limit) in the reader's language, which Streamlit writes in English only.
    A chart's own 'Download as PNG' is hidden: it saves every chart as '<time>_chart.png' without
    title or filters; the button under each chart saves it named, titled and sourced."""
    button = json.dumps(t("upload.button", lang), ensure_ascii=False)
    limit = json.dumps(t("upload.limit", lang, size=settings.MAX_UPLOAD_BYTES // (1024 * 1024)), ensure_ascii=False)
    return f"""<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere;
}}
[data-testid="stFileUploaderDropzoneInstructions"] > div > * {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{ content: {limit}; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {{ content: {button}; }}
button[data-testid="stBaseButton-elementToolbar"][aria-label="Download as PNG"] {{ display: none; }}
</style>"""


def apply(lang: str) -> None:
    st.html(stylesheet(lang))
