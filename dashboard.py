"""Router only: page config, the shared sidebar (language, filters, URL), navigation."""
import streamlit as st

from pop_analytics import app

st.set_page_config(page_title=app.t("app.title"), page_icon=":material/bar_chart:", layout="wide")
app.start()
navigation = st.navigation(app.pages())
app.sidebar()
navigation.run()
