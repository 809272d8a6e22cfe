"""Router only: page config, who is here, the shared sidebar (language, filters, URL), navigation."""
import streamlit as st

from pop_analytics import app

st.set_page_config(page_title=app.t("app.title"), page_icon=str(app.settings.FAVICON), layout="wide")
app.start()
with app.page_run():  # one snapshot of the data for everything this run shows, as this viewer may see it
    # only the pages this viewer's role may open; in another site's frame, the page alone
    navigation = st.navigation(app.pages(), position="hidden" if app.embedded() else "sidebar", expanded=True)
    app.sidebar(navigation.url_path)
    app.banner()
    app.bell()  # what the person here should be told, on every page
    navigation.run()
