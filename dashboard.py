"""Router only: page config, the shared sidebar (language, filters, URL), navigation."""
import streamlit as st

from pop_analytics import app

st.set_page_config(page_title=app.t("app.title"), page_icon=str(app.settings.FAVICON), layout="wide")
app.start()
navigation = st.navigation(app.pages())
with app.page_run():  # one snapshot of the data for everything this run shows
    app.sidebar()
    navigation.run()
