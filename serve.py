"""The server `make run` starts: the dashboard (dashboard.py) with sign-in and sign-out beside it
(pop_analytics.web), since only a plain HTTP response can set the HttpOnly session cookie."""
import streamlit as st

from pop_analytics import web

app = st.App("dashboard.py", routes=web.routes(), middleware=web.middleware())
