"""What every page shares around its content: the filter bar, notices and the footer."""

from __future__ import annotations

import streamlit as st

from domain import access
from domain.access import OutOfScope, Viewer
from domain.units import AREA_PREFIX
from data_access.db import DatabaseUnavailable
from domain.errors import UserFacingError
from i18n.format import fmt_date
from ui import data, url_state
from ui.filters import Filters, filter_bar
from ui.i18n import lang, t
from ui.plain import plain


def filter_bar_or_notice() -> Filters | None:
    filters = filter_bar()
    if filters is None:
        st.info(
            t(
                "Cơ sở dữ liệu chưa có số liệu. Nạp dữ liệu ở trang Dữ liệu (danh mục đơn vị, thủ tục, cán bộ, rồi tệp đánh giá, hồ sơ) "
                "hoặc bằng lệnh python -m data_access.reference và python -m data_access.ingest.",
                "The database holds no data yet. Load data on the Data page (units, procedures, officers, then ratings and dossiers) "
                "or with python -m data_access.reference and python -m data_access.ingest.",
            ),
            icon=":material/info:",
        )
    return filters


def rejected_params_notice(slot) -> None:
    """Fill `slot` (placed above the page) with the link's ignored parameters, once the page
    has read its own: only then are they all known."""
    rejected = url_state.rejected_params()
    if rejected:
        shown = plain(", ".join(f"{key}={value[:40]!r}" for key, value in rejected.items()))
        slot.warning(
            t(f"Đường dẫn có tham số không hợp lệ, đã dùng giá trị mặc định: {shown}", f"The link had invalid parameters; defaults are used instead: {shown}"),
            icon=":material/link_off:",
        )


# URL parameters that name units, and whether the city itself is fine there for a restricted
# viewer (the city map shows every unit outside their own as an aggregate). A value may be an
# area ("area:760") and `units` may list several codes.
UNIT_PARAMS = {"unit": False, "units": False, "district": False, "scope": False, "area": True}


def out_of_scope_in_url(viewer: Viewer) -> OutOfScope | None:
    """A link naming a unit or area outside the viewer's scope (another ward, another area)
    shows a clear message and no page at all. The data layer refuses such reads anyway."""
    if viewer.full_access:
        return None
    units = data.units()
    own = data.own_codes(viewer) or frozenset()
    own_area = viewer.unit_code if viewer.role == access.AREA_LEADER else None
    known = set(units["code"])
    roots = set(units.loc[units["parent_code"].isna(), "code"])
    for key, city_allowed in UNIT_PARAMS.items():
        for raw in st.query_params.get_all(key):
            for value in str(raw).split(","):
                is_area = value.startswith(AREA_PREFIX)
                code = value[len(AREA_PREFIX) :] if is_area else value
                if code not in known:
                    continue  # not a unit: the page says the value is invalid
                if is_area:
                    allowed = code == own_area
                else:
                    allowed = code in own or (city_allowed and code in roots) or (key == "area" and code == own_area)
                if not allowed:
                    return OutOfScope()
    return None


def show_error(error: UserFacingError) -> None:
    """Any user-facing error that reaches the frame: its text in the reader's language, the
    technical detail as plain text, what to do next, and the way on."""
    message = error.text(lang()) + (plain(error.detail) if error.detail else "")
    if error.hint:
        message += " " + t(*error.hint)
    st.error(message, icon=error.icon)
    if isinstance(error, OutOfScope):
        st.markdown(f"[{t('Về trang tổng quan', 'Back to the overview')}](/{'?lang=en' if lang() == 'en' else ''})")
    if isinstance(error, DatabaseUnavailable):
        st.button(t("Thử lại", "Try again"), on_click=data.clear_caches)


def footer() -> None:
    """Data freshness on every page: the latest record of each source."""
    extent = data.data_extent()
    st.caption(
        f"{t('Số liệu mới nhất', 'Latest data')} · {t('đánh giá', 'ratings')}: {fmt_date(extent['latest_rating'])}"
        f" · {t('hồ sơ', 'dossiers')}: {fmt_date(extent['latest_dossier'])}"
    )


def hide_filter_bar() -> None:
    """For a page the period and scope do not apply to (the Data page)."""
    st.markdown("<style>.st-key-filter-bar { display: none; }</style>", unsafe_allow_html=True)
