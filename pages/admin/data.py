"""Dữ liệu: load a ratings or dossiers export, independent survey results, or one of the city's
own reference lists (units, departments, crosswalk, procedures, officers, targets; CSV UTF-8 or .xlsx), check it, import it;
the data freshness per source and unit; the latest imports and exports (audit log).

The same functions as `python -m data_access.ingest` (docs/ingest.md) and
`python -m data_access.reference import` (docs/reference.md).
"""

import streamlit as st

from ui import auth, data, frame, imports, stores
from ui.i18n import lang, t
from ui.plain import plain


def is_admin() -> bool:
    """The one place that decides who may load data: administrators (the navigation shows
    this page to them only; this check holds for a direct link too)."""
    return auth.current_viewer().can_admin


frame.hide_filter_bar()  # period and scope do not apply to loading files
st.title(t("Dữ liệu", "Data"))
if not is_admin():
    st.warning(t("Chỉ quản trị viên được nạp dữ liệu.", "Only administrators may load data."), icon=":material/lock:")
    st.stop()

mapping = stores.load_mapping()

st.subheader(t("Nạp tệp xuất từ hệ thống", "Load an export"))
source = st.radio(
    t("Nguồn dữ liệu (số liệu, hoặc danh mục của thành phố)", "Source (figures, or the city's own lists)"),
    (*stores.SOURCES, *stores.REFERENCE_KINDS),
    format_func=lambda s: t(*imports.SOURCE_LABELS[s]),
    horizontal=True,
    key="ingest_source",
)
three_level = False
if source == "ratings":
    three_level = st.checkbox(
        t("Phiếu 3 mức (1 hài lòng, 2 bình thường, 3 không hài lòng)", "Three-level form (1 satisfied, 2 neutral, 3 dissatisfied)"),
        key="ingest_three_level",
    )
imports.uploader_in_our_words()
upload = st.file_uploader(
    t(
        f"Tệp CSV UTF-8 hoặc Excel .xlsx (tối đa {mapping.limits.max_file_mb:g} MB)",
        f"CSV UTF-8 or Excel .xlsx file (at most {mapping.limits.max_file_mb:g} MB)",
    ),
    type=["csv", "xlsx"],
    key="ingest_file",
)
imports.accepted_columns(mapping, source)

if upload is not None:
    token = (upload.file_id, source, three_level, lang())
    if st.button(t("Kiểm tra", "Check"), type="primary", key="ingest_check", icon=":material/fact_check:"):
        st.session_state.pop("ingest_result", None)
        outcome = imports.run_in_worker(upload, source, three_level, write=False)
        st.session_state["ingest_checked"] = (token, outcome.get("summary"), outcome.get("rejected") or outcome.get("failed"))

    state = st.session_state.get("ingest_checked")
    if state is not None and state[0] == token:
        _, checked, refused = state
        if refused:
            st.error(plain(refused), icon=":material/block:")
        elif imports.show_check(checked):
            if st.button(t("Nhập dữ liệu", "Import"), type="primary", key="ingest_import", icon=":material/upload:"):
                outcome = imports.run_in_worker(upload, source, three_level, write=True)
                if "result" not in outcome:
                    if "db_error" in outcome:
                        imports.not_written(outcome)
                    else:  # the file changed its verdict, or the worker failed
                        st.error(plain(outcome.get("rejected") or outcome.get("failed") or outcome["summary"].message), icon=":material/block:")
                    st.stop()
                data.clear_caches()  # every page shows the new data
                st.session_state.pop("ingest_checked", None)
                st.session_state["ingest_result"] = (token, outcome["result"])

    done = st.session_state.get("ingest_result")
    if done is not None and done[0] == token:
        imports.show_result(done[1])

imports.freshness_table()
imports.audit_log()
