import streamlit as st

from pop_analytics import filters, kpis, store

st.title("POP Analytics")
result = kpis.kpis(store.connect(read_only=True), filters.Filters())
st.metric("Priorities addressed", f"{result['priorities']['addressed_pct']} %")
