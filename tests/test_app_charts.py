"""A page's charts are kept per app process by what they show (app.widgets.screen_spec): a kept chart is
the chart built anew, other data or another language draws another chart, what cannot be keyed is
built every time, and the process keeps at most settings.CHART_SPECS_KEPT of them."""
from __future__ import annotations

import itertools

import pandas as pd
import pytest
from dashboard_support import assert_clean, open_app

from pop_analytics import charts, settings
from pop_analytics.app import widgets

FRAME = pd.DataFrame({"year": [2021, 2022], "cycle": ["2019-2023", "2019-2023"], "addressed_pct": [40.0, 55.5],
                      "fully": [1, 2], "partially": [3, 3], "not_addressed": [4, 3], "total": [8, 8]})
_NAMES = itertools.count()


class Counted:
    """charts.addressed_trend under a name of its own (the kept charts are the process's), counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.__module__ = __name__
        self.__qualname__ = f"counted_{next(_NAMES)}"

    def __call__(self, frame: pd.DataFrame, lang: str, *args: object, **kwargs: object):
        self.calls += 1
        return charts.addressed_trend(frame, lang)


def test_a_kept_chart_is_the_chart_built_anew():
    make = Counted()
    first = widgets.screen_spec(make, FRAME, "sq", (), {})
    again = widgets.screen_spec(make, FRAME.copy(), "sq", (), {})
    fresh = widgets.screen_spec(Counted(), FRAME, "sq", (), {})
    assert make.calls == 1
    assert again == first == fresh
    assert first["title"]["text"] == "Prioritete të adresuara sipas vitit (%)"
    assert len(first["datasets"]) == 1


def test_streamlit_taking_a_kept_charts_data_leaves_the_kept_chart_whole():
    make = Counted()
    shown = widgets.screen_spec(make, FRAME, "en", (), {})
    del shown["datasets"]  # what st.vega_lite_chart does to the spec it is given
    assert len(widgets.screen_spec(make, FRAME, "en", (), {})["datasets"]) == 1
    assert make.calls == 1


@pytest.mark.parametrize("change", [
    lambda frame, lang, args: (frame.assign(addressed_pct=[40.0, 55.6]), lang, args),
    lambda frame, lang, args: (frame.rename(columns={"total": "all"}).assign(total=[8, 8]), lang, args),
    lambda frame, lang, args: (frame.astype({"fully": "float64"}), lang, args),
    lambda frame, lang, args: (frame.iloc[::-1], lang, args),
    lambda frame, lang, args: (frame, "en", args),
    lambda frame, lang, args: (frame, lang, ("events",)),
], ids=["a value", "a column", "a column's type", "the rows' order", "the language", "an argument"])
def test_other_data_another_language_or_argument_draws_the_chart_again(change):
    make = Counted()
    widgets.screen_spec(make, FRAME, "sq", (), {})
    frame, lang, args = change(FRAME, "sq", ())
    widgets.screen_spec(make, frame, lang, args, {})
    assert make.calls == 2


@pytest.mark.parametrize("frame, kwargs", [
    (FRAME.assign(cycle=[["2019-2023"], ["2019-2023"]]), {}),
    (FRAME, {"options": {"height": 300}}),
], ids=["a cell holding a list", "an argument that is not plain data"])
def test_what_cannot_be_keyed_is_built_every_time_and_still_drawn(frame, kwargs):
    make = Counted()
    specs = [widgets.screen_spec(make, frame, "en", (), kwargs) for _ in range(2)]
    assert make.calls == 2
    assert [spec["title"]["text"] for spec in specs] == ["Priorities addressed by year (%)"] * 2


def test_the_process_keeps_at_most_chart_specs_kept_dropping_the_longest_unused(monkeypatch):
    monkeypatch.setattr(settings, "CHART_SPECS_KEPT", 2)
    make = Counted()
    frames = [FRAME.assign(total=[n, n]) for n in (8, 9, 10)]
    for frame in (frames[0], frames[1], frames[0], frames[2]):  # frames[1] is now the longest unused
        widgets.screen_spec(make, frame, "en", (), {})
    assert make.calls == 3
    widgets.screen_spec(make, frames[0], "en", (), {})
    assert make.calls == 3
    widgets.screen_spec(make, frames[1], "en", (), {})
    assert make.calls == 4


def _charts(at) -> list[tuple[str, list[bytes]]]:
    return [(chart.proto.spec, [d.data.data for d in chart.proto.datasets]) for chart in at.get("vega_lite_chart")]


def test_a_page_shows_the_same_charts_from_the_kept_specs_as_when_it_built_them(app_db, monkeypatch):
    monkeypatch.setattr(settings, "CHART_SPECS_KEPT", 0)  # nothing kept (other tests' charts dropped): all built
    at = open_app("participation", {"lang": "en"})
    built = _charts(at)
    monkeypatch.setattr(settings, "CHART_SPECS_KEPT", 256)
    at.run()  # builds and keeps them
    at.run()  # shows the kept ones
    assert_clean(at)
    assert len(built) == 3  # the first tab's: the others run when chosen
    assert _charts(at) == built
