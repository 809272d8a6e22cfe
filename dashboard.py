"""Router only: page config, shared sidebar, navigation."""
import streamlit as st

st.set_page_config(page_title="POP Analytics", page_icon="📊", layout="wide")
navigation = st.navigation([st.Page("pages/overview.py", title="Overview", default=True)])
navigation.run()
