"""Reports: the KPI summary of the view, as a PDF to forward or a workbook to work from; the open data
package of the whole data set."""
import streamlit as st

from pop_analytics import app, queries

chosen = app.current_filters()
app.header("reports", chosen)
if app.nothing_to_show(chosen):
    st.stop()

as_of = app.data(queries.data_as_of)
if as_of["submitted"]:
    st.warning(app.tr("report.includes_submitted", count=as_of["submitted"]), icon=":material/pending:")
else:
    st.info(app.tr("report.approved_only"), icon=":material/verified:")
st.markdown(app.tr("reports.contents"))
app.report_downloads(chosen)
st.caption(app.tr("reports.note"))
app.open_data_download()
