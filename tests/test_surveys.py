"""Independent surveys: the validated import (`python -m data_access.ingest surveys FILE`),
the demo's published rows, and which figures cover which scope (metrics/surveys.py).

Expected values are the figures written in each file by hand.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import func, select

import demo
from data_access import ingest, schema
from metrics import surveys
from tests import tiny_dataset
from tests.support.app_test import check_upload, first_problem, open_data_page, open_page

HEADER = "Nguồn khảo sát,Năm,Mã tỉnh,Mã đơn vị,Chỉ tiêu,Nội dung,Giá trị,Thang tối đa,Cỡ mẫu,Ghi chú phương pháp,Đường dẫn"
GOOD = [
    'SIPAS,2024,VN,,Tỷ lệ hài lòng,,"83,94",,36.525,Bộ Nội vụ SIPAS 2024,',
    "sipas,2024,01,,satisfaction_rank,,11,63,,SIPAS 2024 Hà Nội,",
    "Mặt trận Tổ quốc,2019,79,,Tỷ lệ hài lòng,,80,,12459,MTTQ TP.HCM,https://example.org/mttq-2019",
    'PAPI,2024,79,,Điểm nội dung PAPI,Quản trị điện tử,"4,12",10,,PAPI 2024,',
    'Khảo sát của thành phố,2025-Q3,79,760,satisfaction,,"85,5 %",,1.200,Khảo sát của quận,',
]


def csv_bytes(rows: list[str], header: str = HEADER) -> bytes:
    return ("\ufeff" + "\n".join([header, *rows]) + "\n").encode("utf-8")


@pytest.fixture
def tiny(engine):
    tiny_dataset.load(engine)
    return engine


def stored(engine) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(select(schema.surveys).order_by(schema.surveys.c.id)).mappings().all())


def test_good_survey_file_is_read_with_vietnamese_numbers_and_stored(tiny):
    checked, result = ingest.import_file(tiny, "surveys", csv_bytes(GOOD), "khao-sat.csv", actor="test", lang="en")
    assert checked.ok, checked.problems
    assert (result.added, result.updated) == (5, 0)
    rows = stored(tiny).set_index("source")
    assert rows.loc["sipas"].iloc[0]["value"] == pytest.approx(83.94)
    assert rows.loc["sipas"].iloc[0]["sample_size"] == 36525  # "36.525": a thousands dot
    assert rows.loc["sipas"].iloc[0]["province_code"] == "VN" and pd.isna(rows.loc["sipas"].iloc[0]["unit_code"])
    assert rows.loc["sipas"].iloc[1]["scale"] == "rank" and rows.loc["sipas"].iloc[1]["scale_max"] == 63
    assert rows.loc["mttq"]["sample_size"] == 12459 and rows.loc["mttq"]["link"] == "https://example.org/mttq-2019"
    assert rows.loc["papi"]["dimension"] == "Quản trị điện tử" and rows.loc["papi"]["value"] == pytest.approx(4.12)
    city = rows.loc["city"]
    assert (city["unit_code"], city["value"], city["sample_size"], city["period"]) == ("760", 85.5, 1200, "2025-Q3")
    assert str(city["period_start"])[:10] == "2025-07-01" and str(city["period_end"])[:10] == "2025-09-30"


def test_a_later_file_replaces_the_same_figure_and_adds_nothing_twice(tiny):
    ingest.import_file(tiny, "surveys", csv_bytes(GOOD), "a.csv", actor="test")
    corrected = [GOOD[0].replace('"83,94"', '"83,95"'), *GOOD[1:]]
    _, result = ingest.import_file(tiny, "surveys", csv_bytes(corrected), "b.csv", actor="test")
    assert (result.added, result.updated, result.unchanged) == (0, 1, 4)
    rows = stored(tiny)
    assert len(rows) == 5
    assert rows[rows["source"] == "sipas"]["value"].max() == pytest.approx(83.95)


def test_bad_rows_are_named_by_row_column_value_and_expected_and_nothing_is_written(tiny):
    bad = [
        GOOD[0],
        "Gallup,2024,79,,satisfaction,,80,,,,",  # row 3: unknown source
        "sipas,24,79,,satisfaction,,80,,,,",  # row 4: a period that is not a year
        "sipas,2023,7,,satisfaction,,80,,,,",  # row 5: a province code that is not 2 digits
        "sipas,2023,79,99999,satisfaction,,80,,,,",  # row 6: a unit the database does not know
        'sipas,2022,79,,satisfaction,,"0,8394",,,,',  # row 7: fine (0.8394 %, odd but within 0-100)
        "sipas,2021,79,,satisfaction,,183,,,,",  # row 8: a percentage above 100
        'sipas,2021,01,,satisfaction_rank,,"11,5",63,,,',  # row 9: a rank that is not whole
        "papi,2024,79,,papi_dimension,,5,10,,,",  # row 10: a PAPI dimension without its name
        "sipas,2024,VN,,satisfaction,,80,,,,",  # row 11: the same figure as row 2
        "sipas,2020,79,,satisfaction,,80,,-5,,ftp://x",  # row 12: negative sample, not an http link
        "city,2020,01,760,satisfaction,,80,,,,",  # row 13: Quận 1 is a unit of province 79, not 01
    ]
    checked, result = ingest.import_file(tiny, "surveys", csv_bytes(bad), "bad.csv", actor="test", lang="en")
    assert result is None and not checked.ok
    problems = {(r.row, r.column): (r.value, r.expected) for r in checked.problems.itertuples()}
    assert problems[(3, "Nguồn khảo sát")][0] == "Gallup"
    assert "SIPAS" in problems[(3, "Nguồn khảo sát")][1]
    assert problems[(4, "Năm")] == ("24", "a year (2024) or a period (2024-Q3, 2024-09, 2024-H1)")
    assert problems[(5, "Mã tỉnh")][0] == "7"
    assert problems[(6, "Mã đơn vị")] == ("99999", "a unit code known to the database")
    assert (7, "Giá trị") not in problems
    assert problems[(8, "Giá trị")][0] == "183" and "0 to 100" in problems[(8, "Giá trị")][1]
    assert problems[(9, "Giá trị")][0] == "11,5" and "whole number" in problems[(9, "Giá trị")][1]
    assert "PAPI dimension" in problems[(10, "Nội dung")][1]
    assert "already on row 2" in problems[(11, "Chỉ tiêu")][1]
    assert problems[(12, "Cỡ mẫu")][0] == "-5"
    assert problems[(12, "Đường dẫn")][0] == "ftp://x"
    assert problems[(13, "Mã đơn vị")] == ("760", "a unit of province 01 (the province code column)")
    assert set(checked.rejected_rows["row"]) == {3, 4, 5, 6, 8, 9, 10, 11, 12, 13}
    assert "Nothing was written" in checked.message
    assert stored(tiny).empty


def test_a_file_missing_a_required_column_is_refused_as_a_whole(tiny):
    header = HEADER.replace("Giá trị", "Ghi chú khác")
    with pytest.raises(ingest.FileRejected, match="Giá trị"):
        ingest.check(tiny, "surveys", csv_bytes(GOOD, header), "thieu-cot.csv")


def test_excel_survey_file_imports_like_the_csv(tiny):
    frame = pd.read_csv(io.BytesIO(csv_bytes(GOOD)), dtype=str, encoding="utf-8-sig", keep_default_na=False)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    checked, result = ingest.import_file(tiny, "surveys", buffer.getvalue(), "khao-sat.xlsx", actor="test")
    assert checked.ok, checked.problems
    assert result.added == 5


def test_cli_imports_surveys_and_refuses_a_bad_file(sqlite_url, tmp_path, capsys):
    from data_access.db import make_engine
    from data_access.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    tiny_dataset.load(engine)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes(GOOD))
    bad.write_bytes(csv_bytes([GOOD[0].replace("VN", "Hà Nội")]))
    common = ["--url", sqlite_url, "--lang", "en", "--quiet"]
    assert ingest.main(["surveys", str(bad), *common]) == 1
    assert "Hà Nội" in capsys.readouterr().out
    assert ingest.main(["surveys", str(good), *common]) == 0
    assert "5 added" in capsys.readouterr().out
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(schema.surveys)).scalar() == 5
        assert "surveys: good.csv" in " ".join(connection.execute(select(schema.audit_log.c.what)).scalars())
    engine.dispose()


# --- the demo's rows ------------------------------------------------------------------------------
def test_demo_survey_rows_are_the_published_figures_and_generated_rows_say_so():
    units = pd.DataFrame(tiny_dataset.UNITS)
    rows = demo.demo_surveys(units)
    published = rows[~rows["method_note"].str.contains(surveys.GENERATED_MARK)]
    figures = {(r.source, r.period, r.province_code, r.indicator): (r.value, r.sample_size) for r in published.itertuples()}
    assert figures == {
        ("sipas", "2024", "VN", "satisfaction"): (83.94, 36525),
        ("sipas", "2024", "01", "satisfaction"): (86.50, None),
        ("sipas", "2024", "01", "satisfaction_rank"): (11, None),
        ("mttq", "2019", "79", "satisfaction"): (80.0, 12459),
        ("papi", "2024", "VN", "respondents"): (18894, 18894),
    }
    assert published["method_note"].str.len().min() > 20  # each cites its source
    generated = rows[rows["method_note"].str.contains(surveys.GENERATED_MARK)]
    assert set(generated["source"]) == {"city"}  # nothing generated under a published survey's name
    assert generated["unit_code"].notna().all()


# --- which figures cover a scope ----------------------------------------------------------------
def test_a_province_level_survey_is_the_citys_figure_and_never_a_districts():
    rows = pd.DataFrame(
        [
            dict(
                source="mttq", province_code="79", unit_code=None, indicator="satisfaction", dimension=None, period_end=pd.Timestamp("2019-12-31"), value=80.0
            ),
            dict(
                source="sipas", province_code="VN", unit_code=None, indicator="satisfaction", dimension=None, period_end=pd.Timestamp("2024-12-31"), value=83.94
            ),
            dict(
                source="sipas", province_code="01", unit_code=None, indicator="satisfaction", dimension=None, period_end=pd.Timestamp("2024-12-31"), value=86.5
            ),
            dict(
                source="city", province_code="79", unit_code="760", indicator="satisfaction", dimension=None, period_end=pd.Timestamp("2025-12-31"), value=84.0
            ),
        ]
    )
    assert surveys.covering(rows, "79", "79")["source"].tolist() == ["mttq"]
    assert surveys.covering(rows, "760", "79")["value"].tolist() == [84.0]
    assert surveys.covering(rows, "26734", "79").empty  # a ward of Quận 1: neither the city's nor the district's figure
    assert surveys.gap_points(80.0, 0.9924) == pytest.approx(-19.24)


def test_data_page_checks_then_imports_a_survey_file(sqlite_url, monkeypatch):
    engine = tiny_dataset.database(sqlite_url)
    at = open_data_page(sqlite_url, monkeypatch)
    at.radio(key="ingest_source").set_value("surveys").run()
    check_upload(at, "bad.csv", csv_bytes(["Gallup,2024,79,,satisfaction,,80,,,,"]))
    assert not at.exception
    assert first_problem(at) == [2, "Nguồn khảo sát", "Gallup"]
    check_upload(at, "good.csv", csv_bytes(GOOD))
    at.button(key="ingest_import").click().run()
    assert not at.exception
    assert any("5 số liệu khảo sát, thêm mới 5" in s.value for s in at.success)
    assert len(stored(engine)) == 5
    engine.dispose()


# --- the panel on the overview and the profile (AppTest on the small demo) ---------------------------
def _device_rate_from_facts(url: str, codes: list[str], year: int) -> float:
    """Satisfied (levels 1-2) / all ratings, straight from the rating rows."""
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        marks = ",".join("?" * len(codes))
        total, good = db.execute(
            f"select count(*), sum(level in (1, 2)) from ratings where unit_code in ({marks}) and rated_at >= ? and rated_at < ?",
            [*codes, f"{year}-01-01", f"{year + 1}-01-01"],
        ).fetchone()
    return good / total


def test_panel_shows_where_a_survey_covers_the_scope_with_the_device_figure_of_the_same_year(demo_db_env):
    import sqlite3

    from i18n.format import fmt_pct

    with sqlite3.connect(demo_db_env.removeprefix("sqlite:///")) as db:
        district = db.execute("select code from units where level = 'district' and parent_code = '79' order by code limit 1").fetchone()[0]
        ward = db.execute("select code from units where parent_code = ? order by code limit 1", [district]).fetchone()[0]
        wards = [r[0] for r in db.execute("select code from units where parent_code = ?", [district])]
        value = db.execute("select value from surveys where unit_code = ? and period = '2025'", [district]).fetchone()[0]

    city = open_page("pages/overview/overview.py")
    assert "Khảo sát độc lập" in [s.value for s in city.subheader]
    captions = " ".join(c.value for c in city.caption)
    assert "cỡ mẫu 12.459 phiếu" in captions and "chưa có số liệu thiết bị cho cả Năm 2019" in captions

    profile = open_page("pages/analysis/unit_profile.py", unit=district)
    lines = [m.value for m in profile.markdown if m.value.startswith("thiết bị")]
    expected = fmt_pct(_device_rate_from_facts(demo_db_env, [district, *wards], 2025))
    assert lines and lines[0].startswith(f"thiết bị {expected} — khảo sát độc lập {str(value).replace('.', ',')}%")
    assert "Dữ liệu mẫu sinh tự động" in " ".join(c.value for c in profile.caption)

    ward_profile = open_page("pages/analysis/unit_profile.py", unit=ward)
    assert "Khảo sát độc lập" not in [s.value for s in ward_profile.subheader]  # the city's survey is not the ward's


def test_comparison_page_shows_the_province_over_the_years_in_both_languages(demo_db_env):
    page = open_page("pages/analysis/surveys.py")
    assert "Mức hài lòng qua các năm" in page.subheader[0].value
    figures = page.dataframe[-1].value
    assert {"Mặt trận Tổ quốc", "SIPAS"} <= set(figures["Nguồn"])
    assert "83,94%" in set(figures["Giá trị"])
    english = open_page("pages/analysis/surveys.py", lang="en", province="01")
    ranks = next(d.value for d in english.dataframe if "Rank" in d.value.columns)
    assert ranks["Rank"].tolist() == ["11/63"]


def test_comparison_page_shows_papi_dimensions_and_the_par_index_rank_by_year(sqlite_url, monkeypatch):
    """The province's PAPI dimensions (a table by year) and its PAR Index rank, from a file
    whose figures are written here by hand (illustrative values, not published ones)."""
    engine = tiny_dataset.database(sqlite_url)
    rows = [
        'PAPI,2023,79,,papi_dimension,Quản trị điện tử,"3,80",10,,PAPI 2023,',
        'PAPI,2024,79,,papi_dimension,Quản trị điện tử,"4,12",10,,PAPI 2024,',
        'PAPI,2024,79,,papi_dimension,Thủ tục hành chính công,"7,25",10,,PAPI 2024,',
        "par_index,2024,79,,par_rank,,5,63,,PAR Index 2024,",
    ]
    checked, _ = ingest.import_file(engine, "surveys", csv_bytes(rows), "papi.csv", actor="test", lang="en")
    assert checked.ok, checked.problems
    engine.dispose()
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", sqlite_url)
    page = open_page("pages/analysis/surveys.py", lang="en")
    papi = next(d.value for d in page.dataframe if 2023 in d.value.columns)
    assert papi.loc["Quản trị điện tử"].tolist() == ["3.8/10", "4.12/10"]
    assert papi.loc["Thủ tục hành chính công", 2024] == "7.25/10"
    assert papi.index.name == "Dimension"  # not the frame's own column name, "dimension", in either language
    ranks = next(d.value for d in page.dataframe if "Rank" in d.value.columns)
    assert ranks[["Year", "Rank"]].values.tolist() == [["2024", "5/63"]]
