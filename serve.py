"""The server `make run` starts: the dashboard (dashboard.py) with sign-in and sign-out beside it
(pop_analytics.web), since only a plain HTTP response can set the HttpOnly session cookie."""
import gc

import streamlit as st

import pop_analytics.app  # noqa: F401  (what every page run uses, loaded once before the freeze below)
from pop_analytics import web

app = st.App("dashboard.py", routes=web.routes(), middleware=web.middleware())

# Streamlit collects garbage in full after every page run (runner.postScriptGC), holding the
# interpreter about 90 ms while it walks every object the libraries above made. They live as long
# as the process: set aside, the collection after a run walks only what the run made (under 1 ms).
gc.collect()
gc.freeze()
