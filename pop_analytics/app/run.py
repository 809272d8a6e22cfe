"""The page run: the one snapshot a run of a page reads, who it is for and the rows its queries
count, held in one object while the run lasts. data.page_run starts it (with roles.admit's answer);
data reads its snapshot and sight, roles its viewer. Streamlit runs each session's script on its
own thread, so the run under way is this thread's; a button's callback or a download's thread has
none."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..access import Viewer
from ..database import Snapshot
from ..scope import DONOR_SIGHT, Sight


@dataclass(frozen=True)
class PageRun:
    snapshot: Snapshot
    viewer: Viewer | None  # None: nobody is signed in
    sight: Sight  # what the run's queries count (and what a download taken from the page must count)


_here = threading.local()


def current() -> PageRun | None:
    """The page run under way on this thread, if any."""
    found: PageRun | None = getattr(_here, "run", None)
    return found


@contextmanager
def running(page_run: PageRun) -> Iterator[PageRun]:
    """page_run is this thread's until the block ends, however it ends (st.stop included)."""
    _here.run = page_run
    try:
        yield page_run
    finally:
        _here.run = None


def viewer() -> Viewer | None:
    """Who this page run is for (None outside a page run, or when nobody is signed in)."""
    found = current()
    return found.viewer if found is not None else None


def sight() -> Sight:
    """What this page run's queries count (what a download taken from the page must count too)."""
    found = current()
    return found.sight if found is not None else DONOR_SIGHT
