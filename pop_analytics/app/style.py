"""The few rules of the page's look that Streamlit has no option for, in one stylesheet per language,
and the reader's words in place of those Streamlit's frontend writes in English only."""
from __future__ import annotations

import json
import re

import streamlit as st

from .. import formats, settings
from ..i18n import catalogue, t

# Streamlit's own words (its frontend writes them in English only): the catalogue key
# streamlit.<name> holds in English the text Streamlit writes, and in every other language the words
# the page shows in its place. A {placeholder} stands for what varies, as one of these expressions.
STREAMLIT_PREFIX = "streamlit."
_PLACEHOLDERS = {"count": r"[0-9]+", "number": r"[0-9]+(?:\.[0-9]+)?", "unit": r"(?:B|KB|MB|GB)", "name": r".+"}
_JS_SPECIAL = re.compile(r"[.*+?^${}()|\[\]\\/]")


def streamlit_texts() -> dict[str, str]:
    """Streamlit's English texts the page translates, by catalogue key."""
    return {key: text for key, text in catalogue("en").items() if key.startswith(STREAMLIT_PREFIX)}


def streamlit_pattern(english: str) -> str:
    """A JavaScript (and Python) regular expression matching the whole of a text Streamlit writes."""
    parts = re.split(r"\{(\w+)\}", english)
    literal = [_JS_SPECIAL.sub(lambda m: "\\" + m.group(0), part) for part in parts[::2]]
    names = [f"(?P<{name}>{_PLACEHOLDERS[name]})" for name in parts[1::2]]
    return "^" + "".join(a + b for a, b in zip(literal, [*names, ""])) + "$"


def _rules(lang: str) -> list[dict[str, str]]:
    """What to look for and what to write instead, for a page in lang. An English page only turns
    back words put in by an earlier run in another language (the language switch reloads nothing)."""
    if lang == "en":
        return [{"pattern": "^" + _JS_SPECIAL.sub(lambda m: "\\" + m.group(0), t(key, other)) + "$", "to": english}
                for key, english in streamlit_texts().items() if "{" not in english
                for other in settings.LANGUAGES if other != "en"]
    return [{"pattern": streamlit_pattern(english).replace("(?P<", "(?<"), "to": t(key, lang)}
            for key, english in streamlit_texts().items()]


# Runs once per page (the observer stays, each run gives it the words of the page's language): every
# text node and label (aria-label, title, placeholder) that is wholly one of Streamlit's English texts
# gets the reader's words; an icon's name read aloud ("lock_open icon", "add icon") is taken away:
# the button or text beside it says what it is.
_TRANSLATOR = """(() => {
  const rules = RULES.map(r => ({re: new RegExp(r.pattern), to: r.to}));
  const decimal = DECIMAL;
  const say = text => {
    const trimmed = text.trim();
    if (!trimmed) return null;
    for (const r of rules) {
      const m = r.re.exec(trimmed);
      if (m) return text.replace(trimmed, r.to.replace(/\\{(\\w+)\\}/g, (_, k) =>
        k === 'number' ? m.groups[k].replace('.', decimal) : m.groups[k]));
    }
    return null;
  };
  const LABELS = ['aria-label', 'title', 'placeholder', 'aria-placeholder'];
  const label = e => {
    for (const name of LABELS) {
      const value = e.getAttribute(name);
      if (value === null) continue;
      if (name === 'aria-label' && /^[a-z0-9_]+ icon$/.test(value)) {
        e.removeAttribute(name); e.setAttribute('aria-hidden', 'true'); continue;
      }
      const said = say(value);
      if (said !== null && said !== value) e.setAttribute(name, said);
    }
  };
  const text = n => {
    const p = n.parentElement;
    if (!p || p.closest('svg, script, style')) return;
    if (/^[a-z0-9_]+ icon$/.test(n.nodeValue.trim())) { n.nodeValue = ''; return; }
    const said = say(n.nodeValue);
    if (said !== null && said !== n.nodeValue) n.nodeValue = said;
  };
  const fix = root => {
    if (root.nodeType === Node.TEXT_NODE) { text(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE || root.closest('svg')) return;
    label(root);
    root.querySelectorAll('[aria-label], [title], [placeholder], [aria-placeholder]').forEach(label);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) text(n);
  };
  window.popWords = fix;
  if (!window.popWordsObserver) {
    window.popWordsObserver = new MutationObserver(changes => {
      for (const c of changes) {
        if (c.type === 'childList') c.addedNodes.forEach(n => window.popWords(n));
        else window.popWords(c.target);
      }
    });
    window.popWordsObserver.observe(document.body, {subtree: true, childList: true, characterData: true,
                                                    attributes: true, attributeFilter: LABELS});
  }
  fix(document.body);
})();"""


def translator(lang: str) -> str:
    # No '<' in the script's text: the sanitiser drops a script whose text holds '<' and a letter.
    rules = json.dumps(_rules(lang), ensure_ascii=False).replace("<", "\\u003c")
    decimal = json.dumps(formats.of(lang).decimal)
    return _TRANSLATOR.replace("RULES", rules, 1).replace("DECIMAL", decimal, 1)


def stylesheet(lang: str) -> str:
    """Tile labels wrap instead of being cut ('Prioritete të adresu…'); the upload box says its
    words (button, size limit) in the reader's language, which Streamlit writes in English only.
    The toolbars of tables and charts are hidden: their CSV and PNG are saved as '<time>_chart.png'
    or a CSV outside the reader's number format, without title or filters, and their 'Show data' and
    'Copy Vega-Lite spec' are developer tools; the buttons under each table and chart save them
    named, titled, sourced and written as the reader's language writes. The element holding the
    translator script takes no room on the page."""
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
[data-testid="stElementToolbar"] {{ display: none !important; }}
[data-testid="stElementContainer"]:has(.pop-words) {{ display: none; }}
</style><span class="pop-words"></span><script>{translator(lang)}</script>"""


def apply(lang: str) -> None:
    st.html(stylesheet(lang), unsafe_allow_javascript=True)
