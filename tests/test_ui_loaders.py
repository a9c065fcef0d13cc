"""The cached loaders (ui/data.py `loader`): called with domain arguments only, they key every
answer by the database and the viewer's scope, and hand data_access the viewer."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from data_access import queries
from ui import data


@pytest.fixture()
def fresh_cache(monkeypatch):
    data.clear_caches()
    yield
    data.clear_caches()


def test_two_databases_never_share_a_cached_answer(tmp_path, monkeypatch, fresh_cache):
    monkeypatch.setattr(queries, "load_units", lambda engine: pd.DataFrame({"database": [engine.url.database]}))
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{first}")
    assert data.units()["database"].tolist() == [str(first)]
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{second}")
    assert data.units()["database"].tolist() == [str(second)]
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{first}")
    assert data.units()["database"].tolist() == [str(first)]


def test_two_loaders_with_the_same_arguments_keep_their_own_answers(tmp_path, monkeypatch, fresh_cache):
    """Streamlit names a cache by the function's name and source: every loader is made by one
    closure, so each must carry its reader's name or `units()` would answer `data_extent()`."""
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setattr(queries, "load_units", lambda engine: "the units")
    monkeypatch.setattr(queries, "data_extent", lambda engine: "the extent")
    monkeypatch.setattr(queries, "load_surveys", lambda engine: "the surveys")
    assert (data.units(), data.data_extent(), data.surveys()) == ("the units", "the extent", "the surveys")


def test_each_viewer_scope_gets_its_own_answer_and_data_access_gets_the_viewer(tmp_path, monkeypatch, fresh_cache):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    asked = []

    def kpi_counts(engine, start, end, codes, by_unit, *, viewer, restated=False):
        asked.append((viewer.scope_key(), by_unit))
        return f"{viewer.scope_key()} {by_unit}"

    monkeypatch.setattr(queries, "kpi_counts", kpi_counts)
    day = date(2026, 10, 1)
    monkeypatch.setattr(data, "scope", lambda: ("district", "760"))
    assert data.kpi_counts(day, day, None, by_unit=True) == "('district', '760') True"
    assert data.kpi_counts(day, day, None, by_unit=True) == "('district', '760') True"  # cached
    monkeypatch.setattr(data, "scope", lambda: ("district", "769"))
    assert data.kpi_counts(day, day, None, by_unit=True) == "('district', '769') True"
    assert data.kpi_counts(day, day, None) == "('district', '769') False"
    assert asked == [(("district", "760"), True), (("district", "769"), True), (("district", "769"), False)]


def test_a_database_error_becomes_the_frames_message(tmp_path, monkeypatch, fresh_cache):
    from sqlalchemy.exc import OperationalError

    from data_access.db import DatabaseUnavailable

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")

    def unreachable(engine):
        raise OperationalError("SELECT 1", {}, Exception("could not connect to server"))

    monkeypatch.setattr(queries, "data_extent", unreachable)
    with pytest.raises(DatabaseUnavailable):
        data.data_extent()


def test_a_caller_changing_its_answer_never_changes_the_cached_one(tmp_path, monkeypatch, fresh_cache):
    """Answers are kept once and handed out as shallow copies (no unpickling per view): what a
    page does to its copy must not reach the next page's."""
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    reads = []

    def load_units(engine):
        reads.append(1)
        return pd.DataFrame({"code": ["26734", "26737"], "name": ["Phường Tân Định", "Phường Đa Kao"]}, index=[0, 1])

    monkeypatch.setattr(queries, "load_units", load_units)
    mine = data.units()
    mine["name"] = "changed"
    mine.loc[0, "code"] = "00000"
    mine["extra"] = 1
    mine.attrs["note"] = "mine"
    mine.drop(index=1, inplace=True)
    again = data.units()
    assert reads == [1], "the second call is a cache hit"
    assert again.to_dict("list") == {"code": ["26734", "26737"], "name": ["Phường Tân Định", "Phường Đa Kao"]}
    assert again.attrs == {}


def test_clear_caches_makes_the_next_view_read_the_database(tmp_path, monkeypatch, fresh_cache):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    answers = iter(["before the import", "after the import"])
    monkeypatch.setattr(queries, "data_extent", lambda engine: next(answers))
    assert data.data_extent() == "before the import"
    assert data.data_extent() == "before the import"
    data.clear_caches()
    assert data.data_extent() == "after the import"
