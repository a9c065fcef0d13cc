"""The briefing pack: open the generated .pptx and .pdf and check them against the database.

Expected figures are computed here with plain SQL over the summary tables, not through
reports/ or metrics/. The PDF text is read with pypdf (a dev requirement).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from data_access import commitments as store
from data_access.db import make_engine
from i18n.format import fmt_pct
from metrics import kpis
from metrics.periods import month
from reports import content
from reports.briefing import build
from domain.access import SYSTEM
from tests.support.app_server import REPO_ROOT

CITY = "79"


@pytest.fixture(scope="module")
def pack_db(demo_db_url, tmp_path_factory):
    """A copy of the demo database with two commitments, one due at the meeting."""
    source = Path(demo_db_url.removeprefix("sqlite:///"))
    target = tmp_path_factory.mktemp("pack") / "demo.sqlite"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    last_day = pd.Timestamp(pd.read_sql(text("select max(day) as d from rating_daily"), engine)["d"].iloc[0]).date()
    period = (
        month(last_day.year, last_day.month)
        if (last_day + timedelta(days=1)).day == 1
        else month(*(lambda d: (d.year, d.month))(last_day.replace(day=1) - timedelta(days=1)))
    )
    meeting = period.end + timedelta(days=10)
    earlier = meeting - timedelta(days=30)
    district = pd.read_sql(text("select code, name from units where level = 'district' order by code limit 1"), engine).iloc[0]
    store.create(
        engine,
        dict(
            unit_code=district["code"],
            title="Rà soát hồ sơ trễ hạn đất đai",
            owner="Phó Chủ tịch",
            due_date=meeting - timedelta(days=3),
            kpi_id="on_time_rate",
            target_value=0.98,
            created_by="Thư ký",
        ),
        today=earlier,
        meeting_date=earlier,
        viewer=SYSTEM,
    )
    store.create(
        engine,
        dict(unit_code=district["code"], title="Việc chưa đến hạn", due_date=meeting + timedelta(days=60), created_by="Thư ký"),
        today=earlier,
        meeting_date=earlier,
        viewer=SYSTEM,
    )
    yield dict(url=url, engine=engine, period=period, meeting=meeting, district=district)
    engine.dispose()


def _sql(engine, query, **params) -> pd.DataFrame:
    return pd.read_sql(text(query), engine, params=params)


def _rate_by_district(engine, kpi: kpis.Kpi, start: date, end: date) -> pd.DataFrame:
    """The KPI per district (the district's own office and its wards), plain SQL."""
    table = "rating_monthly" if kpi.source == "ratings" else "dossier_monthly"
    numerator = " + ".join(f"s.{c}" for c in kpi.numerator)
    frame = _sql(
        engine,
        f"""select d.code, d.name, sum({numerator}) as num, sum(s.{kpi.denominator}) as den
            from {table} s join units u on u.code = s.unit_code
            join units d on d.code = case when u.level = 'district' then u.code else u.parent_code end
            where d.level = 'district' and s.month between :start and :end group by d.code, d.name""",
        start=start,
        end=end,
    )
    frame = frame[frame["den"] > 0]
    return frame.assign(value=frame["num"] / frame["den"]).set_index("name")


def _city_monthly(engine, kpi: kpis.Kpi, start: date, end: date) -> pd.Series:
    table = "rating_monthly" if kpi.source == "ratings" else "dossier_monthly"
    numerator = " + ".join(kpi.numerator)
    frame = _sql(
        engine,
        f"select month, sum({numerator}) as num, sum({kpi.denominator}) as den from {table} where month between :start and :end group by month order by month",
        start=start,
        end=end,
    )
    return (frame["num"] / frame["den"]).set_axis(pd.to_datetime(frame["month"]).dt.date)


@pytest.fixture(scope="module")
def briefing(pack_db):
    return content.build_briefing(pack_db["engine"], CITY, pack_db["period"], "vi", meeting_date=pack_db["meeting"], viewer=SYSTEM)


@pytest.fixture(scope="module")
def pptx_deck(pack_db):
    from pptx import Presentation

    data, name = build(pack_db["engine"], CITY, pack_db["period"], "pptx", meeting_date=pack_db["meeting"], viewer=SYSTEM)
    assert name == f"giao-ban_Toan-thanh-pho_{pack_db['period'].key}.pptx"
    return Presentation(io.BytesIO(data))


def _titles(deck) -> list[str]:
    return [s.shapes.title.text if s.shapes.title is not None else "" for s in deck.slides]


def _charts(deck):
    return [shape.chart for slide in deck.slides for shape in slide.shapes if shape.has_chart]


def test_pptx_slides_and_vietnamese_titles(pptx_deck, pack_db):
    titles = _titles(pptx_deck)
    label = pack_db["period"].label("vi")
    assert titles[0].startswith("Họp giao ban · Toàn thành phố")
    assert titles[1] == f"Chỉ số chính · {label}"
    assert titles[2].startswith("Bản đồ · ")
    assert titles[3].startswith("Đơn vị cần cải thiện · ")
    assert titles[4].startswith("Xu hướng 12 kỳ · ")
    assert any(t.startswith("Đơn vị có cảnh báo") for t in titles)
    assert titles[-1].startswith("Nhiệm vụ đến hạn")
    # The map is a picture; the charts are native charts of the right kinds.
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    assert any(shape.shape_type == MSO_SHAPE_TYPE.PICTURE for shape in pptx_deck.slides[2].shapes)
    kinds = [chart.chart_type for chart in _charts(pptx_deck)]
    assert kinds[-1] == XL_CHART_TYPE.LINE_MARKERS and kinds[:-1] in ([XL_CHART_TYPE.BAR_CLUSTERED], [])


def test_pptx_has_the_last_whole_weeks_scoreboard(pptx_deck, pack_db):
    end = pack_db["period"].end
    sunday = end - timedelta(days=(end.weekday() + 1) % 7)  # the last Sunday of the period
    iso = sunday.isocalendar()
    titles = _titles(pptx_deck)
    title = f"Chỉ số phục vụ · Tuần {iso.week}/{iso.year}"
    assert title in titles
    slide = pptx_deck.slides[titles.index(title)]
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    assert [c.text for c in table.rows[0].cells] == ["Hạng", "Đơn vị", "Điểm", "Xếp loại", "So với tuần trước", "Thành phần yếu nhất", "Hồ sơ"]
    scores = [float(row.cells[2].text.replace(",", ".")) for row in list(table.rows)[1:]]
    assert scores == sorted(scores) and len(scores) == content.WEEK_BOARD_UNITS  # the lowest, lowest first
    bands = {row.cells[3].text for row in list(table.rows)[1:]}
    assert bands <= {"Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"}
    assert "Xếp loại: Xuất sắc ≥ 90" in slide.notes_slide.notes_text_frame.text


def test_pptx_kpi_table_and_notes(pptx_deck, pack_db):
    engine, period = pack_db["engine"], pack_db["period"]
    table = next(shape.table for shape in pptx_deck.slides[1].shapes if shape.has_table)
    rows = {table.cell(r, 0).text: [table.cell(r, c).text for c in range(1, 6)] for r in range(1, len(table.rows))}
    counts = _sql(
        engine,
        "select sum(very_satisfied + satisfied) as num, sum(ratings) as den from rating_monthly where month between :s and :e",
        s=period.start,
        e=period.end,
    ).iloc[0]
    assert rows["Tỷ lệ hài lòng"][0] == fmt_pct(counts["num"] / counts["den"], "vi")
    target = _sql(
        engine,
        "select value from targets where kpi_id = 'satisfaction_rate' and unit_code is null and valid_from <= :d and (valid_to is null or valid_to >= :d)",
        d=period.end,
    )["value"]
    if len(target):
        assert rows["Tỷ lệ hài lòng"][1] == fmt_pct(target.iloc[-1], "vi")
    received = _sql(engine, "select sum(received) as n from dossier_monthly where month between :s and :e", s=period.start, e=period.end)["n"].iloc[0]
    assert rows["Hồ sơ tiếp nhận"][0] == f"{int(received):,}".replace(",", ".")
    notes = pptx_deck.slides[1].notes_slide.notes_text_frame.text
    for kpi_id in ("satisfaction_rate", "on_time_rate", "apology_compliance"):
        assert kpis.get(kpi_id).help_vi in notes


def _target(engine, kpi_id, day):
    found = _sql(
        engine,
        "select value from targets where kpi_id = :k and unit_code is null and valid_from <= :d and (valid_to is null or valid_to >= :d)",
        k=kpi_id,
        d=day,
    )["value"]
    return float(found.iloc[-1]) if len(found) else None


def test_pptx_needs_improvement_slide_follows_the_one_rule(pptx_deck, pack_db, briefing):
    """With a target, the rule is: at least 20 cases and short of the target. Checked by SQL."""
    engine, period = pack_db["engine"], pack_db["period"]
    focus = kpis.get(briefing.focus_kpi)
    expected = _rate_by_district(engine, focus, period.start, period.end)
    target = _target(engine, focus.id, period.end)
    slide = pptx_deck.slides[3]
    charts = [shape.chart for shape in slide.shapes if shape.has_chart]
    categories = list(charts[0].plots[0].categories) if charts else []
    values = list(charts[0].plots[0].series[0].values) if charts else []
    for name, value in zip(categories, values):
        assert value == pytest.approx(expected.loc[name, "value"], abs=1e-9), name
    if target is not None:
        short = expected[(expected["den"] >= 20) & ((expected["value"] < target) if focus.higher_is_better else (expected["value"] > target))]
        worst_first = short.sort_values("value", ascending=focus.higher_is_better)
        assert categories == list(worst_first.index[: content.BOTTOM_UNITS])
        # No unit at or above its target is ever named.
        assert all((v < target) if focus.higher_is_better else (v > target) for v in values)
    text = " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
    assert "chưa đạt mục tiêu hoặc kém hơn mức chung ngoài dao động ngẫu nhiên" in text
    if charts:
        assert charts[0].category_axis.tick_labels.font.size.pt >= 18


def test_pptx_line_chart_matches_the_database(pptx_deck, pack_db, briefing):
    engine, period = pack_db["engine"], pack_db["period"]
    chart = _charts(pptx_deck)[-1]
    focus = kpis.get(briefing.focus_kpi)
    first = month(*[(period.start.year * 12 + period.start.month - 1 - 11) // 12, (period.start.month - 1 - 11) % 12 + 1])
    expected = _city_monthly(engine, focus, first.start, period.end)
    series = chart.plots[0].series
    values = list(series[0].values)
    assert len(values) == 12
    assert list(chart.plots[0].categories)[-1] == period.label("vi")
    assert values == pytest.approx(
        list(expected.reindex([month(d.year, d.month).start for d in [first.start.replace(day=1) + pd.DateOffset(months=k) for k in range(12)]]).values),
        abs=1e-9,
    )
    if briefing.trend_target is not None:
        assert set(series[1].values) == {briefing.trend_target}


def test_pptx_commitments_slide_lists_the_due_one(pptx_deck, pack_db):
    slide = pptx_deck.slides[len(pptx_deck.slides) - 1]
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    cells = [[table.cell(r, c).text for c in range(len(table.columns))] for r in range(1, len(table.rows))]
    assert [row[1] for row in cells] == ["Rà soát hồ sơ trễ hạn đất đai"]
    assert cells[0][0] == pack_db["district"]["name"]
    assert cells[0][5] == "Tỷ lệ đúng hạn → 98,0%"


def test_pdf_has_the_same_content(pack_db, briefing):
    pypdf = pytest.importorskip("pypdf", reason="pypdf (requirements-dev) reads the PDF text")
    data, name = build(pack_db["engine"], CITY, pack_db["period"], "pdf", meeting_date=pack_db["meeting"], viewer=SYSTEM)
    assert name.endswith(".pdf") and data[:5] == b"%PDF-"
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    whole = "\n".join(pages)
    assert len(pages) == 8
    assert f"Chỉ số phục vụ · {briefing.week_board.week.label('vi')}" in whole
    assert "Họp giao ban" in pages[0] and "Toàn thành phố" in pages[0]
    satisfaction = next(f for f in briefing.kpis if f.kpi_id == "satisfaction_rate")
    assert "Tỷ lệ hài lòng" in pages[1] and satisfaction.value_text in pages[1]
    assert kpis.get("satisfaction_rate").help_vi in pages[1]
    for name_ in briefing.bottom["name"].head(3):
        assert name_ in pages[3]
    if len(briefing.bottom):
        assert briefing.fmt(briefing.bottom["value"].iloc[0]) in pages[3]
    assert "Đơn vị cần cải thiện" in pages[3] and "từ 20" in pages[3]
    assert "Rà soát hồ sơ trễ hạn đất đai" in whole
    assert "Việc chưa đến hạn" not in whole


def test_english_pack(pack_db):
    from pptx import Presentation

    # Quận 1 is a former district (until 30 June 2025): its pack is for a month of its time.
    data, _ = build(pack_db["engine"], "760", month(2025, 5), "pptx", lang="en", meeting_date=date(2025, 6, 10), viewer=SYSTEM)
    titles = _titles(Presentation(io.BytesIO(data)))
    assert titles[0] == "Review meeting · Quận 1"
    assert titles[1].startswith("Key figures · ")


def test_filename_is_ascii():
    assert content.pack_filename("Quận Bình Thạnh", month(2026, 10), "pptx") == "giao-ban_Quan-Binh-Thanh_2026-10.pptx"
    assert content.ascii_slug("Đường Đa Kao") == "Duong-Da-Kao"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "reports.briefing", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)


def test_cli_builds_and_rejects_bad_input(pack_db, tmp_path):
    out = tmp_path / "pack.pptx"
    bad_scope = _cli("--scope", "99999", "--period", pack_db["period"].key, "--format", "pptx", "--out", str(out), "--url", pack_db["url"])
    assert bad_scope.returncode == 2 and "Unknown scope code '99999'" in bad_scope.stderr
    bad_period = _cli("--scope", CITY, "--period", "2025-13", "--format", "pdf", "--out", str(out), "--url", pack_db["url"])
    assert bad_period.returncode == 2 and "2025-13" in bad_period.stderr
    assert list(tmp_path.iterdir()) == []
    good = _cli("--scope", "760", "--period", "2025-05", "--format", "pdf", "--out", str(tmp_path), "--url", pack_db["url"])  # Quận 1's time
    assert good.returncode == 0, good.stderr
    files = [p.name for p in tmp_path.iterdir()]
    assert files == ["giao-ban_Quan-1_2025-05.pdf"]
    assert (tmp_path / files[0]).read_bytes()[:5] == b"%PDF-"


def test_meeting_figures_drawn_by_several_sessions_at_once(briefing):
    """The meeting page draws these in each session's own thread: no shared pyplot state
    (issue 14: under load one got a canvas without a renderer)."""
    from concurrent.futures import ThreadPoolExecutor

    from reports import figures

    def draw(_):
        return [figures.map_png(briefing), figures.bar_png(briefing), figures.line_png(briefing)]

    with ThreadPoolExecutor(4) as pool:
        drawn = list(pool.map(draw, range(8)))
    assert all(png.startswith(b"\x89PNG") for pngs in drawn for png in pngs)
    assert len({pngs[0] for pngs in drawn}) == 1  # the same figure each time


def test_map_keeps_an_island_in_its_own_box(briefing):
    """Côn Đảo, 80 km out at sea, drawn in the main map shrank the city to a quarter of the
    slide: it goes into a box in the corner, as on the dashboard's map (issue 13 audit)."""
    from reports import figures

    names = dict(zip(briefing.units_values["unit_code"].astype(str), briefing.units_values["name"]))
    far = figures.far_codes(briefing.boundaries)
    assert [names[c] for c in far] == ["Đặc khu Côn Đảo"]
    island_north = briefing.boundaries[briefing.boundaries["code"].astype(str).isin(far)].total_bounds[3]
    figure = figures.map_figure(briefing)
    main = figure.axes[0]
    assert main.get_ylim()[0] > island_north + 0.5  # the main map starts well north of the island
    boxes = main.child_axes
    assert len(boxes) == 1 and boxes[0].get_title() == "Đặc khu Côn Đảo"


def test_map_fills_each_unit_by_its_value_and_skips_an_empty_shape(briefing):
    """One filled shape per unit with a boundary: grey where the unit has no value, the scale's
    colour where it has one; a unit whose boundary is empty is left out, not an error."""
    import dataclasses

    import numpy as np
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import to_rgba
    from shapely.geometry import Polygon

    from reports import figures

    boundaries = briefing.boundaries.copy()
    far = set(figures.far_codes(boundaries))
    main = boundaries[~boundaries["code"].astype(str).isin(far)]
    emptied = str(main["code"].iloc[0])
    boundaries.loc[boundaries["code"].astype(str) == emptied, "geometry"] = Polygon()
    values = briefing.units_values.copy()
    blank = str(main["code"].iloc[1])
    values.loc[values["unit_code"].astype(str) == blank, "value"] = np.nan
    figure = figures.map_figure(dataclasses.replace(briefing, boundaries=boundaries, units_values=values))
    (shapes,) = [c for c in figure.axes[0].collections if isinstance(c, PatchCollection)]
    assert len(shapes.get_paths()) == len(main) - 1
    codes = [c for c in main["code"].astype(str) if c != emptied]
    assert tuple(shapes.get_facecolors()[codes.index(blank)]) == to_rgba("#e9ecef")
    valued = [i for i, c in enumerate(codes) if c in set(values.loc[values["value"].notna(), "unit_code"].astype(str))]
    assert valued and all(tuple(shapes.get_facecolors()[i]) != to_rgba("#e9ecef") for i in valued)
