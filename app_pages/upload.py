"""Upload: check a partner's sheet, show what was read and what to fix, store it on confirmation."""
import streamlit as st

from pop_analytics import app, matching, present, upload_view

app.require_page("upload")
app.header("upload")
app.rejection_notes()  # a partner's rejected import, with what to fix, until read
lang = app.lang()
person = app.viewer()

left, right = st.columns([3, 2])
with right, st.container(border=True):
    st.markdown(f"**{app.tr('upload.template_heading')}**")
    st.caption(app.tr("upload.template_help"))
    st.download_button(app.tr("upload.template"), app.template_bytes(), file_name="POP_template.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="upload_template", icon=":material/download:", on_click="ignore")
with left:
    st.markdown(app.tr("upload.steps"))
    st.caption(app.uploading_as())
    # Any file: the importer decides from its bytes what it reads (.xlsx, .xls, .csv) and refuses
    # the rest with a sentence in the reader's language; a type list would refuse in Streamlit's English.
    uploaded = st.file_uploader(app.tr("upload.file"), type=None, key="upload_file")

problem = st.session_state.pop("upload_problem", None)
if problem:
    st.error(app.escape(problem[lang]), icon=":material/database:")
stored = st.session_state.get("upload_stored")
if stored:
    st.success(app.tr("upload.stored", file=stored["file"], import_id=stored["import_id"],
                      rows=present.rows_phrase(stored["rows"], lang)), icon=":material/check_circle:")
    if stored.get("review") == "submitted":
        st.info(app.tr("upload.submitted", import_id=stored["import_id"]), icon=":material/hourglass_top:")
    for message in stored["warnings"][lang]:  # written with the sheet's names and values in them
        st.info(app.escape(message))
if uploaded is None:
    st.info(app.tr("upload.waiting"), icon=":material/upload_file:")
    st.stop()

content = uploaded.getvalue()
report = app.check_upload(content, uploaded.name)
if report.status == "duplicate":
    if stored and stored["import_id"] == report.import_id:
        st.stop()  # the file just stored: the success note above says all there is to say
    st.info(app.tr("upload.duplicate", file=uploaded.name, import_id=report.import_id), icon=":material/content_copy:")
    st.stop()
if report.status == "refused":
    st.error(app.tr("upload.refused", file=uploaded.name, problems=present.problems_phrase(report.problem_count, lang)),
             icon=":material/error:")
else:
    st.success(app.tr("upload.valid", file=uploaded.name, rows=present.rows_phrase(report.rows, lang),
                      kind=" + ".join(app.tr(f"kind.{k}") for k in report.kind.split("+"))), icon=":material/task_alt:")

if report.errors or report.warnings:
    st.subheader(app.tr("upload.report"))
    st.caption(app.tr("upload.report_help"))
    app.table(present.problems(report.errors, report.warnings, lang), "validation_report", labelled=True)

unknowns = upload_view.unknown_values(report.errors)
if unknowns:
    st.subheader(app.tr("upload.choose_heading"))
    st.caption(app.tr("upload.choose_help"))
    with st.form(key="upload_choices", border=True):
        for unknown in unknowns:
            key = app.choice_key(unknown)
            options = upload_view.term_options(unknown.vocabulary)
            st.markdown(app.tr("upload.choose_value", **unknown.where(lang)))
            choice, remember = st.columns([3, 2], vertical_alignment="bottom")
            choice.selectbox(app.tr("upload.choose_term"), options, key=key,
                             index=options.index(unknown.choices[0]) if unknown.choices else None,
                             format_func=lambda k, v=unknown.vocabulary: matching.term_label(v, k, lang),
                             placeholder=app.tr("upload.choose_none"))
            remember.checkbox(app.tr("upload.remember"), key="remember_" + key)
        st.form_submit_button(app.tr("upload.recheck"), type="primary", icon=":material/refresh:",
                              on_click=app.recheck_upload, args=(content, uploaded.name, unknowns))

st.subheader(app.tr("upload.preview"))
previews = upload_view.batch_preview(report.batch, lang) if report.batch is not None else {}
if previews:
    for kind, frame in previews.items():
        rows = app.tr("upload.rows", rows=present.rows_phrase(len(frame), lang))
        st.markdown(f"**{app.tr(f'kind.{kind}')}** · {rows}")
        st.dataframe(present.styled(frame.head(200), lang), hide_index=True, placeholder=present.DASH)
else:
    raw = upload_view.read_preview(report.read)
    if not raw:
        app.empty("upload.nothing_read")
    for sheet, frame in raw:
        st.markdown(f"**{app.escape(sheet)}** · {app.tr('upload.as_read')}")
        st.dataframe(frame, placeholder=present.DASH)

if report.status == "valid":
    mode = app.leaving_view(report)  # what leaves every view, and the choice to add the rows instead
    st.button(app.tr("upload.confirm"), type="primary", key="upload_confirm", icon=":material/save:",
              on_click=app.confirm_upload, args=(content, uploaded.name, mode))
    st.caption(app.tr("upload.confirm_help"))
