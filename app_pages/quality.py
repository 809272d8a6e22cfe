"""Data quality: reported totals beside itemised rows, missing splits, missing reports, reported-only figures."""
import streamlit as st

from pop_analytics import app, charts, present, queries

chosen = app.current_filters()
app.header("quality", chosen)
if app.nothing_to_show(chosen):
    st.stop()
lang = app.lang()

st.subheader(app.tr("quality.totals"))
st.caption(app.tr("quality.totals_help"))
totals = app.data(queries.reported_vs_itemised, chosen)
gaps = totals[totals["difference"] != 0] if len(totals) else totals
if len(gaps):
    st.warning(app.tr("quality.totals_found", count=len(gaps), total=len(totals)), icon=":material/warning:")
elif len(totals):
    st.success(app.tr("quality.totals_agree", count=len(totals), total=len(totals)), icon=":material/check_circle:")
if len(gaps):  # with no gap, the sentence below the table says all there is
    app.chart(charts.reported_vs_itemised, gaps)
app.table(totals, "reported_vs_itemised", ["indicator", "reported", "itemised", "difference", "date_from", "date_to",
                                           "municipality", "type", "rows", "note", "source", "year"],
          empty_key="quality.no_totals", wrap=True,  # what a gap is about and its three figures fit a phone
          widths={"indicator": app.settings.PHONE_LABEL_COLUMN_PX,
                  **dict.fromkeys(("reported", "itemised", "difference"), app.settings.PHONE_NUMBER_COLUMN_PX)})

st.subheader(app.tr("quality.split"))
unsplit = app.data(queries.rows_without_split_count, chosen)
st.caption(app.tr("quality.split_help", count=int(unsplit)))
app.long_table(queries.rows_without_split, queries.rows_without_split_count, chosen,
               ["date", "municipality", "type", "events", "participants", "women", "men", "file_name", "sheet",
                "excel_row"], empty_key="quality.split_none")

st.subheader(app.tr("quality.missing"))
missing = app.data(queries.missing_reports, chosen)
years = chosen.year or app.data(queries.years, chosen)[-1:]
st.caption(app.tr("quality.missing_help", years=present.years_text(years, lang)))
app.table(missing, "missing_reports", ["year", "municipality", "priorities_monitored", "activities",
                                       "monitoring_year"], empty_key="quality.missing_none")

st.subheader(app.tr("quality.reported"))
st.caption(app.tr("quality.reported_help"))
app.table(app.data(queries.reported_figures, chosen), "reported_figures",
          ["year", "date_from", "date_to", "municipality", "indicator", "value", "source", "note"],
          empty_key="quality.reported_none")
