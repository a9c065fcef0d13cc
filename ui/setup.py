"""Get the database ready before the first page draws.

On the embedded demo database the first start creates the schema and fills it with demo
data and approximate boundaries, showing progress; later starts find it ready. Any other
database is only checked: its schema must be at the current revision (operators upgrade
it with `python -m data_access.migrate`), since the app's production user may only read.
"""

from __future__ import annotations

import os

import streamlit as st
from sqlalchemy.exc import DBAPIError

from data_access import migrate
from domain.errors import UserFacingError
from data_access.db import DEFAULT_SQLITE_PATH, PROJECT_ROOT, database_url, is_default_demo, make_engine, user_facing_error
from geo import generated, glyphs
from ui import data
from ui.i18n import t
from ui.plain import plain


class SchemaOutdated(UserFacingError, RuntimeError):
    icon = ":material/database:"


@st.cache_resource(show_spinner=False)
def prepare_map_glyphs() -> None:
    """Write the map's label glyphs into static/ once, so labels draw with no internet."""
    glyphs.ensure_glyphs(PROJECT_ROOT / "static")


def prepare_database() -> None:
    """Raise DatabaseUnavailable or SchemaOutdated with a message the user can act on."""
    url = database_url()
    try:
        _prepare(url)
    except DBAPIError as error:
        raise user_facing_error(error) from error


@st.cache_resource(show_spinner=False)
def _prepare(url: str) -> None:
    # cache_resource runs this once per process, and other sessions wait for it.
    engine = data.engine()
    if is_default_demo(url):
        if not DEFAULT_SQLITE_PATH.exists():
            _build_demo_file(DEFAULT_SQLITE_PATH)
        migrate.upgrade(engine)  # a demo file from an older version gets the new tables
        return
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        current, head = plain(str(current)), plain(str(head))  # read from the database: shown as text
        raise SchemaOutdated(
            vi=f"Cơ sở dữ liệu đang ở phiên bản {current}, cần {head}. Quản trị viên chạy: python -m data_access.migrate",
            en=f"The database schema is at revision {current}, the app needs {head}. An administrator runs: python -m data_access.migrate",
        )


def _build_demo_file(path) -> None:
    """Build into a side file and move it in place at the end: an interrupted first start
    leaves no half-filled database behind, and the next start simply begins again."""
    building = path.with_name(path.name + ".building")
    for leftover in path.parent.glob(building.name + "*"):
        leftover.unlink()
    engine = make_engine(f"sqlite:///{building}")
    migrate.upgrade(engine)
    _fill_demo(engine)
    engine.dispose()
    os.replace(building, path)


def _fill_demo(engine) -> None:
    size = os.environ.get("DASHBOARD_DEMO_SIZE", "default")
    box = st.empty()
    with box.container():
        st.info(t("Lần chạy đầu tiên: đang tạo cơ sở dữ liệu mẫu…", "First start: creating the demo database…"))
        bar = st.progress(0.0)

        def progress(fraction: float, message: str) -> None:
            # demo.generate says "Xong: ..." at its end, but the boundaries follow:
            # the bar says what was made, and "Xong" only when everything is.
            if message.startswith("Xong"):
                message = t("Đã tạo", "Created") + message.removeprefix("Xong") + " · " + t("còn dựng ranh giới", "boundaries still to build")
            bar.progress(min(max(fraction * 0.85, 0.0), 0.85), text=message)

        # Imported here: the simulation is needed once per new demo file, not in every app process.
        import demo

        # The summaries are counted in the same run, from the rows in hand.
        demo.generate(engine, size=size, progress=progress, refresh=True)
        bar.progress(0.95, text=t("Đang dựng ranh giới gần đúng…", "Building approximate boundaries…"))
        generated.store_default_boundaries(engine)
        bar.progress(1.0, text=t("Xong", "Done"))
    box.empty()
