"""Dữ liệu: load a ratings or dossiers export (CSV UTF-8 or .xlsx), check it, import it;
the data freshness per source and unit; the latest imports and exports (audit log).

The same functions as `python -m data_access.ingest` (docs/ingest.md).
"""

import pandas as pd
import streamlit as st
from sqlalchemy.exc import DBAPIError

from data_access import ingest
from data_access.ingest_validate import FileRejected, Options, load_mapping
from i18n.format import fmt_int
from ui import auth, data
from ui.downloads import audited
from ui.i18n import lang, t


def is_admin() -> bool:
    """The one place that decides who may load data: administrators (the navigation shows
    this page to them only; this check holds for a direct link too)."""
    return auth.current_viewer().can_admin


SOURCE_LABELS = {
    "ratings": ("Đánh giá sự hài lòng", "Satisfaction ratings"),
    "dossiers": ("Hồ sơ thủ tục hành chính", "Administrative dossiers"),
    "steps": ("Các bước xử lý hồ sơ (phiếu kiểm soát)", "Dossier processing steps (control slip)"),
}

st.title(t("Dữ liệu", "Data"))
if not is_admin():
    st.warning(t("Chỉ quản trị viên được nạp dữ liệu.", "Only administrators may load data."), icon=":material/lock:")
    st.stop()

engine = data.engine()
mapping = load_mapping()

st.subheader(t("Nạp tệp xuất từ hệ thống", "Load an export"))
source = st.radio(
    t("Nguồn dữ liệu", "Source"),
    ingest.SOURCES,
    format_func=lambda s: t(*SOURCE_LABELS[s]),
    horizontal=True,
    key="ingest_source",
)
three_level = False
if source == "ratings":
    three_level = st.checkbox(
        t("Phiếu 3 mức (1 hài lòng, 2 bình thường, 3 không hài lòng)", "Three-level form (1 satisfied, 2 neutral, 3 dissatisfied)"),
        key="ingest_three_level",
    )
upload = st.file_uploader(
    t(f"Tệp CSV UTF-8 hoặc Excel .xlsx (tối đa {mapping.limits.max_file_mb:g} MB)", f"CSV UTF-8 or Excel .xlsx file (at most {mapping.limits.max_file_mb:g} MB)"),
    type=["csv", "xlsx"],
    key="ingest_file",
)

with st.expander(t("Tên cột được chấp nhận", "Accepted column names")):
    spec = mapping.sources[source]
    st.dataframe(
        pd.DataFrame(
            {
                t("Cột", "Column"): list(spec.columns),
                t("Bắt buộc", "Required"): [c.required for c in spec.columns.values()],
                t("Tên cột trong tệp", "Header names in the file"): [" · ".join(c.headers) for c in spec.columns.values()],
            }
        ),
        hide_index=True,
    )
    st.caption(t("Ngày: dd/mm/yyyy [HH:MM[:SS]], yyyy-mm-dd hoặc ô ngày của Excel. Xem docs/ingest.md.", "Dates: dd/mm/yyyy [HH:MM[:SS]], yyyy-mm-dd or Excel date cells. See docs/ingest.md."))


def _progress_bar():
    bar = st.progress(0.0)

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message[:150])

    return bar, progress


if upload is not None:
    token = (upload.file_id, source, three_level, lang())
    if st.button(t("Kiểm tra", "Check"), type="primary", key="ingest_check", icon=":material/fact_check:"):
        st.session_state.pop("ingest_result", None)
        bar, progress = _progress_bar()
        try:
            checked = ingest.check(engine, source, upload, upload.name, options=Options(three_level=three_level), mapping=mapping, lang=lang(), progress=progress)
            st.session_state["ingest_checked"] = (token, checked, None)
        except FileRejected as error:
            st.session_state["ingest_checked"] = (token, None, str(error))
        bar.empty()

    state = st.session_state.get("ingest_checked")
    if state is not None and state[0] == token:
        _, checked, refused = state
        if refused:
            st.error(refused, icon=":material/block:")
        else:
            understood = pd.DataFrame({t("Cột", "Column"): list(checked.mapping), t("Cột trong tệp", "Column in the file"): list(checked.mapping.values())})
            st.markdown(f"**{t('Cách hiểu các cột', 'How the columns were read')}** · {checked.raw.encoding_note} · {fmt_int(checked.rows, lang())} {t('dòng', 'rows')}")
            st.dataframe(understood, hide_index=True)
            if checked.ignored:
                st.caption(t("Các cột không dùng: ", "Columns not used: ") + ", ".join(checked.ignored))
            if not checked.ok:
                st.error(checked.message, icon=":material/block:")
                st.dataframe(
                    checked.problems.rename(columns={"row": t("Dòng", "Row"), "column": t("Cột", "Column"), "value": t("Giá trị", "Value"), "expected": t("Cần", "Expected")}),
                    hide_index=True,
                )
                if checked.problem_count > len(checked.problems):
                    st.caption(t(f"Hiển thị {fmt_int(len(checked.problems), 'vi')} / {fmt_int(checked.problem_count, 'vi')} lỗi.", f"Showing {len(checked.problems):,} of {checked.problem_count:,} problems."))
                if checked.rejected_count > len(checked.rejected_rows):
                    st.caption(t(f"Tệp tải về gồm {fmt_int(len(checked.rejected_rows), 'vi')} / {fmt_int(checked.rejected_count, 'vi')} dòng bị từ chối đầu tiên.", f"The download holds the first {len(checked.rejected_rows):,} of {checked.rejected_count:,} rejected rows."))
                st.download_button(
                    t(f"Tải các dòng bị từ chối ({fmt_int(len(checked.rejected_rows), 'vi')} dòng, CSV)", f"Download the rejected rows ({len(checked.rejected_rows):,} rows, CSV)"),
                    data=audited(lambda: checked.rejected_rows.to_csv(index=False).encode("utf-8-sig"), f"tu-choi-{checked.name.rsplit('.', 1)[0]}.csv", {"rows": len(checked.rejected_rows)}),
                    file_name=f"tu-choi-{checked.name.rsplit('.', 1)[0]}.csv",
                    mime="text/csv",
                    key="ingest_rejected",
                    icon=":material/download:",
                    on_click="ignore",
                )
            else:
                st.success(checked.message, icon=":material/check_circle:")
                if len(checked.warnings):
                    st.warning(t("Các dòng được nhập nhưng cần xem lại:", "Rows imported as they are, but worth a look:"), icon=":material/warning:")
                    st.dataframe(
                        checked.warnings.rename(columns={"row": t("Dòng", "Row"), "column": t("Cột", "Column"), "value": t("Giá trị", "Value"), "message": t("Cảnh báo", "Warning")}),
                        hide_index=True,
                    )
                if st.button(t("Nhập dữ liệu", "Import"), type="primary", key="ingest_import", icon=":material/upload:"):
                    bar, progress = _progress_bar()
                    try:
                        result = ingest.write(engine, checked, auth.current_viewer().username, lang=lang(), progress=progress)
                    except DBAPIError as error:
                        bar.empty()
                        st.error(
                            t("Không nhập được: tài khoản cơ sở dữ liệu của ứng dụng không có quyền ghi, nên không có gì được ghi. "
                              "Dùng lệnh python -m data_access.ingest với tài khoản nhập liệu (docs/postgresql.md). Chi tiết: ",
                              "Not imported: the app's database account may not write, so nothing was written. "
                              "Use python -m data_access.ingest with the import account (docs/postgresql.md). Details: ")
                            + str(error.orig or error).splitlines()[0],
                            icon=":material/gpp_bad:",
                        )
                        st.stop()
                    bar.empty()
                    st.cache_data.clear()  # every page shows the new data
                    st.session_state.pop("ingest_checked", None)
                    st.session_state["ingest_result"] = (token, result)

    done = st.session_state.get("ingest_result")
    if done is not None and done[0] == token:
        result = done[1]
        st.success(result.message(lang()), icon=":material/task_alt:")
        cols = st.columns(3)
        cols[0].metric(t("Thêm mới", "Added"), fmt_int(result.added, lang()))
        cols[1].metric(t("Cập nhật", "Updated"), fmt_int(result.updated, lang()))
        cols[2].metric(t("Không đổi", "Unchanged"), fmt_int(result.unchanged, lang()))

st.subheader(t("Độ mới của số liệu", "Data freshness"))
st.caption(t("Bản ghi mới nhất theo nguồn và đơn vị (hồ sơ: ngày tiếp nhận hoặc cập nhật mới nhất).", "Latest record per source and unit (dossiers: the latest received or updated time)."))
fresh = ingest.freshness(engine)
fresh["source"] = fresh["source"].map(lambda s: t(*SOURCE_LABELS[s]))
st.dataframe(
    fresh.rename(columns={"source": t("Nguồn", "Source"), "unit_code": t("Mã đơn vị", "Unit code"), "unit_name": t("Đơn vị", "Unit"), "records": t("Số bản ghi", "Records"), "latest": t("Mới nhất", "Latest")}),
    hide_index=True,
    column_config={t("Mới nhất", "Latest"): st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")},
)

st.subheader(t("Nhật ký nhập/xuất", "Import and export log"))
st.dataframe(
    ingest.audit_entries(engine, 20).rename(columns={"at": t("Lúc", "At"), "actor": t("Người thực hiện", "By"), "action": t("Thao tác", "Action"), "what": t("Nội dung", "What")}),
    hide_index=True,
)
