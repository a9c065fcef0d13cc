"""The Data page's blocks (pages/admin/data.py): the upload form in our words, the check and
import report, the data freshness and the import and download log."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from i18n.format import fmt_datetime, fmt_int
from reports.spreadsheet import csv_bytes
from ui import auth, stores
from ui.data import db_key
from ui.downloads import audited
from ui.i18n import lang, t
from ui.plain import plain

SOURCE_LABELS = {
    "ratings": ("Đánh giá sự hài lòng", "Satisfaction ratings"),
    "dossiers": ("Hồ sơ thủ tục hành chính", "Administrative dossiers"),
    "steps": ("Các bước xử lý hồ sơ (phiếu kiểm soát)", "Dossier processing steps (control slip)"),
    "surveys": ("Khảo sát độc lập", "Independent surveys"),
    **stores.REFERENCE_LABELS,  # a city's own lists: units, departments, crosswalk, procedures, officers, targets
}

ACTIONS = {
    "import": ("Nhập dữ liệu", "Import"),
    "export": ("Tải xuống", "Download"),
    "export-refused": ("Từ chối tải xuống", "Download refused"),
    "sign-in": ("Đăng nhập", "Sign-in"),
    "sign-in-failed": ("Đăng nhập sai", "Failed sign-in"),
    "sign-in-locked": ("Đăng nhập bị khóa", "Sign-in locked"),
}


def uploader_in_our_words() -> None:
    # Streamlit writes the uploader's own words in English: show ours instead (CSS only, the
    # button and the drop zone keep working).
    choose, limit = t("Chọn tệp", "Choose a file"), t("hoặc kéo thả tệp vào đây · CSV, XLSX", "or drop it here · CSV, XLSX")
    st.markdown(
        f"""<style>
        [data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
        [data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p::after {{ content: "{choose}"; font-size: 0.875rem; }}
        [data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
        [data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: "{limit}"; font-size: 0.875rem; }}
        </style>""",
        unsafe_allow_html=True,
    )


def accepted_columns(mapping, source: str) -> None:
    """The header names each column may have in a file (the mapping), and the formats."""
    with st.expander(t("Tên cột được chấp nhận", "Accepted column names")):
        spec = mapping.sources[source] if source in mapping.sources else stores.reference_specs()[source]
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
        if source == "surveys":
            st.caption(
                t(
                    "Một dòng là một số liệu đã công bố (SIPAS, PAPI, PAR Index, MTTQ, khảo sát của thành phố). Năm: 2024 hoặc kỳ 2024-Q3; "
                    "Mã tỉnh: 79, 01… hoặc VN cho cả nước; Mã đơn vị chỉ điền khi khảo sát chi tiết đến đơn vị. Số: 86,50 hoặc 86.50. Xem docs/surveys.md.",
                    "One row is one published figure (SIPAS, PAPI, PAR Index, Fatherland Front, the city's own survey). Year: 2024 or a period 2024-Q3; "
                    "province code: 79, 01… or VN for the whole country; a unit code only when the survey covers that unit. Numbers: 86,50 or 86.50. See docs/surveys.md.",
                )
            )
        elif source in stores.REFERENCE_KINDS:
            st.caption(
                t(
                    "Danh mục của thành phố: kiểm tra toàn bộ tệp trước khi ghi, nhập lại nhiều lần không tạo bản sao. Mã đơn vị là mã của Tổng cục Thống kê; "
                    "ngày dd/mm/yyyy hoặc yyyy-mm-dd. Xem docs/reference.md.",
                    "The city's own list: the whole file is checked before anything is written; importing it again adds nothing twice. Unit codes are GSO codes; "
                    "dates dd/mm/yyyy or yyyy-mm-dd. See docs/reference.md.",
                )
            )
        else:
            st.caption(
                t(
                    "Ngày: dd/mm/yyyy [HH:MM[:SS]], yyyy-mm-dd hoặc ô ngày của Excel. Xem docs/ingest.md.",
                    "Dates: dd/mm/yyyy [HH:MM[:SS]], yyyy-mm-dd or Excel date cells. See docs/ingest.md.",
                )
            )


def _progress_bar():
    bar = st.progress(0.0)

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message[:150])

    return bar, progress


def run_in_worker(upload, source: str, three_level: bool, write: bool) -> dict:
    """Check (or check and import) the upload in a child process with memory and time limits
    (data_access/ingest_worker.py): a hostile or huge file cannot stall or kill this server."""
    bar, progress = _progress_bar()
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(upload.getbuffer())
        outcome = stores.run_import_job(
            dict(
                url=db_key(),
                source=source,
                path=str(path),
                name=upload.name,
                lang=lang(),
                three_level=three_level,
                actor=auth.current_viewer().username,
                write=write,
            ),
            progress,
        )
    bar.empty()
    return outcome


def not_written(outcome: dict) -> None:
    if outcome.get("locked"):
        st.error(
            t(
                "Không nhập được: cơ sở dữ liệu đang bận (database is locked) vì một lần nhập khác đang ghi, kể cả sau thời gian chờ. "
                "Không có gì được ghi; hãy thử lại sau ít phút.",
                "Not imported: the database is locked by another import that is writing, even after waiting. Nothing was written; try again in a few minutes.",
            ),
            icon=":material/hourglass:",
        )
        return
    st.error(
        t(
            "Không nhập được: cơ sở dữ liệu từ chối ghi (thường do tài khoản cơ sở dữ liệu của ứng dụng không có quyền ghi), nên không có gì được ghi. "
            "Dùng lệnh python -m data_access.ingest với tài khoản nhập liệu (docs/postgresql.md). Chi tiết: ",
            "Not imported: the database refused the write (usually the app's database account may not write), so nothing was written. "
            "Use python -m data_access.ingest with the import account (docs/postgresql.md). Details: ",
        )
        + plain(outcome["db_error"]),
        icon=":material/gpp_bad:",
    )


def show_check(checked) -> bool:
    """What the check found: how the columns were read, then either the problems (row, column,
    value, expected) with the rejected rows to download, or the verdict and the warnings.
    True when the file may be imported."""
    understood = pd.DataFrame({t("Cột", "Column"): list(checked.mapping), t("Cột trong tệp", "Column in the file"): list(checked.mapping.values())})
    st.markdown(
        f"**{t('Cách hiểu các cột', 'How the columns were read')}** · {plain(checked.encoding_note)} · {fmt_int(checked.rows, lang())} {t('dòng', 'rows')}"
    )
    st.dataframe(understood, hide_index=True)
    if checked.ignored:
        st.caption(t("Các cột không dùng: ", "Columns not used: ") + plain(", ".join(checked.ignored)))
    if not checked.ok:
        st.error(plain(checked.message), icon=":material/block:")
        st.dataframe(
            checked.problems.rename(
                columns={"row": t("Dòng", "Row"), "column": t("Cột", "Column"), "value": t("Giá trị", "Value"), "expected": t("Cần", "Expected")}
            ),
            hide_index=True,
        )
        if checked.problem_count > len(checked.problems):
            st.caption(
                t(
                    f"Hiển thị {fmt_int(len(checked.problems), 'vi')} / {fmt_int(checked.problem_count, 'vi')} lỗi.",
                    f"Showing {len(checked.problems):,} of {checked.problem_count:,} problems.",
                )
            )
        if checked.rejected_count > len(checked.rejected_rows):
            st.caption(
                t(
                    f"Tệp tải về gồm {fmt_int(len(checked.rejected_rows), 'vi')} / {fmt_int(checked.rejected_count, 'vi')} dòng bị từ chối đầu tiên.",
                    f"The download holds the first {len(checked.rejected_rows):,} of {checked.rejected_count:,} rejected rows.",
                )
            )
        st.download_button(
            t(
                f"Tải các dòng bị từ chối ({fmt_int(len(checked.rejected_rows), 'vi')} dòng, CSV)",
                f"Download the rejected rows ({len(checked.rejected_rows):,} rows, CSV)",
            ),
            data=audited(lambda: csv_bytes(checked.rejected_rows), f"tu-choi-{checked.name.rsplit('.', 1)[0]}.csv", {"rows": len(checked.rejected_rows)}),
            file_name=f"tu-choi-{checked.name.rsplit('.', 1)[0]}.csv",
            mime="text/csv",
            key="ingest_rejected",
            icon=":material/download:",
            on_click="ignore",
        )
        return False
    st.success(plain(checked.message), icon=":material/check_circle:")
    if len(checked.warnings):
        st.warning(t("Các dòng được nhập nhưng cần xem lại:", "Rows imported as they are, but worth a look:"), icon=":material/warning:")
        st.dataframe(
            checked.warnings.rename(
                columns={"row": t("Dòng", "Row"), "column": t("Cột", "Column"), "value": t("Giá trị", "Value"), "message": t("Cảnh báo", "Warning")}
            ),
            hide_index=True,
        )
    return True


def show_result(result) -> None:
    st.success(plain(result.message(lang())), icon=":material/task_alt:")
    cols = st.columns(3)
    cols[0].metric(t("Thêm mới", "Added"), fmt_int(result.added, lang()))
    cols[1].metric(t("Cập nhật", "Updated"), fmt_int(result.updated, lang()))
    cols[2].metric(t("Không đổi", "Unchanged"), fmt_int(result.unchanged, lang()))


def freshness_table() -> None:
    st.subheader(t("Độ mới của số liệu", "Data freshness"))
    st.caption(
        t(
            "Bản ghi mới nhất theo nguồn và đơn vị (hồ sơ: ngày tiếp nhận hoặc cập nhật mới nhất).",
            "Latest record per source and unit (dossiers: the latest received or updated time).",
        )
    )
    fresh = stores.freshness()
    # Each source's total first: how much the dashboard holds, at a glance.
    totals = fresh.groupby("source", as_index=False, sort=False).agg(records=("records", "sum"), latest=("latest", "max"))
    fresh = pd.concat([totals.assign(unit_code="", unit_name=t("Tất cả đơn vị", "All units")), fresh], ignore_index=True)
    st.dataframe(
        pd.DataFrame(
            {
                t("Nguồn", "Source"): [t(*SOURCE_LABELS[s]) for s in fresh["source"]],
                t("Mã đơn vị", "Unit code"): fresh["unit_code"],
                t("Đơn vị", "Unit"): fresh["unit_name"],
                t("Số bản ghi", "Records"): [fmt_int(n, lang()) for n in fresh["records"]],
                t("Mới nhất", "Latest"): [fmt_datetime(d, lang()) for d in fresh["latest"]],
            }
        ),
        hide_index=True,
        column_config={t("Số bản ghi", "Records"): st.column_config.TextColumn(), t("Mới nhất", "Latest"): st.column_config.TextColumn()},
    )


def audit_what(text: str) -> str:
    """The stored description ("ratings: file.csv, 24,191 rows") in the reader's words."""
    found = re.fullmatch(r"(\w+): (.*), ([\d,]+) rows", str(text))
    if not found or found.group(1) not in SOURCE_LABELS:
        return str(text)
    source, name, rows = found.groups()
    return f"{t(*SOURCE_LABELS[source])}: {name}, {fmt_int(int(rows.replace(',', '')), lang())} {t('dòng', 'rows')}"


def audit_log() -> None:
    st.subheader(t("Nhật ký nhập/xuất", "Import and download log"))
    log = stores.audit_entries(20)
    if log.empty:  # an empty grid says "empty" in English whatever the reader's language
        st.caption(t("Chưa có lượt nhập hay tải xuống nào.", "No import or download yet."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("Lúc", "At"): [fmt_datetime(d, lang()) for d in log["at"]],
                t("Người thực hiện", "By"): log["actor"],
                t("Thao tác", "Action"): [t(*ACTIONS[a]) if a in ACTIONS else a for a in log["action"]],
                t("Nội dung", "What"): [audit_what(w) for w in log["what"]],
            }
        ),
        hide_index=True,
    )
