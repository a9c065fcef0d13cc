"""The real map of today's units: HCMC's shipped 2025 layer, the former layout cut from it,
another province's own boundary file, and the map page of both eras (AppTest).

Expected figures come from the files themselves (areas of the full-detail file in UTM 48N),
the package's layout (`ingest.admin_units.province_layout`) and the ratings table read with
plain SQL, never from the map code.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from data_access.db import make_engine
from geo.__main__ import main as geo_main
from geo.boundaries import load_boundaries, save_boundaries
from ingest.admin_units import province_layout
from tests.support.maps import drawn_features
from tests.support.app_test import open_page
from tests.test_app_smoke import run_app
from tests.test_geo_helpers import REAL_2025, REAL_2025_MISSING, engine_with_units, load_layout, two_era_database

SHIPPED = Path(__file__).resolve().parents[1] / "geo" / "data" / "hcmc_wards_2025"
LAYER = SHIPPED / "hcmc_wards_2025.geojson"
UTM = 32648  # metres, for areas and lengths around HCMC
needs_full_file = pytest.mark.skipif(not REAL_2025.exists(), reason=REAL_2025_MISSING)


def current_units(province: str):
    units = province_layout(province).units
    return units[units["valid_from"].notna() & (units["level"] == "ward")]


def former_units(province: str):
    units = province_layout(province).units
    return units[units["valid_to"].notna()]


# --- the shipped layer ----------------------------------------------------------------------
def test_shipped_layer_is_small_valid_and_has_the_168_units_of_the_package():
    size = LAYER.stat().st_size
    assert size < 1_000_000, f"{size:,} bytes"
    layer = gpd.read_file(LAYER)
    assert len(layer) == 168
    assert layer.is_valid.all() and not layer.geometry.is_empty.any()
    assert set(layer.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(layer["code"]) == set(current_units("79")["gso_code"])
    licence = (SHIPPED / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Thang Le Quoc" in licence
    assert "python -m geo simplify" in (SHIPPED / "SOURCE.md").read_text(encoding="utf-8")


def _neighbours(path) -> set:
    """Pairs of units sharing more than 100 m of border."""
    frame = gpd.read_file(path).to_crs(UTM)
    geoms, codes = frame.geometry.to_numpy(), frame["code"].astype(str).to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    return {
        frozenset((codes[a], codes[b]))
        for a, b in zip(left, right)
        if a < b and shapely.intersection(shapely.boundary(geoms[a]), shapely.boundary(geoms[b])).length > 100
    }


@needs_full_file
def test_shipped_layer_keeps_every_shared_border_of_the_full_file():
    full = _neighbours(REAL_2025)
    assert len(full) > 400
    assert _neighbours(LAYER) == full


@needs_full_file
def test_shipped_layer_is_made_by_its_documented_command(tmp_path):
    out = tmp_path / "hcmc.geojson"
    assert geo_main(["simplify", str(REAL_2025), str(out)]) == 0
    assert out.read_bytes() == LAYER.read_bytes()


# --- which boundary a unit is drawn with ------------------------------------------------------
@pytest.fixture
def hcmc(engine):
    """HCMC's units of both layouts and the crosswalk, no boundary stored (SQLite and PostgreSQL)."""
    load_layout(engine, "79")
    return engine


@needs_full_file
def test_current_units_are_drawn_with_real_boundaries_by_default(hcmc):
    codes = current_units("79")["code"].tolist()
    drawn = load_boundaries(hcmc, codes)
    assert sorted(drawn["code"]) == sorted(codes)
    assert not drawn["approximate"].any()
    assert drawn["source"].str.startswith("shipped:").all()
    full = gpd.read_file(REAL_2025).to_crs(UTM).set_index("code").area
    area = drawn.to_crs(UTM).set_index("code").area  # current units keep their bare official codes
    error = (area / full.reindex(area.index) - 1).abs()
    assert error.max() < 0.02, error.sort_values().tail()
    # Phường Sài Gòn (26740), one unit checked by hand: 1.8 to 2.0 km2 in both.
    assert abs(area["26740"] - full["26740"]) / full["26740"] < 0.02


def test_former_units_are_cut_from_the_real_polygons_they_went_into(hcmc):
    layout = province_layout("79")
    former = former_units("79")
    drawn = load_boundaries(hcmc, former["code"].tolist()).to_crs(UTM).set_index("code")
    # Every former ward, district and merged province, and Côn Đảo (a district without wards).
    assert set(drawn.index) == set(former["code"])
    assert drawn["approximate"].all()
    current = load_boundaries(hcmc, current_units("79")["code"].tolist()).to_crs(UTM).set_index("code")
    wards = former[former["level"] == "ward"]["code"]
    # The former wards tile the same city as today's units.
    assert drawn.loc[wards].area.sum() + drawn.loc["755"].geometry.area == pytest.approx(current.area.sum(), rel=0.005)
    # Each lies inside the new units it went into (the crosswalk).
    lineage = layout.lineage
    for code in wards:
        into = shapely.union_all(current.loc[lineage.loc[lineage["old_code"] == code, "new_code"]].geometry.to_numpy())
        assert drawn.loc[code].geometry.difference(into).area < 0.01 * drawn.loc[code].geometry.area, code
    # A former district is the union of its wards: Quận 1 (760) and its 10 wards.
    q1 = former[former["parent_code"] == "760"]["code"]
    assert len(q1) == 10
    assert drawn.loc["760"].geometry.symmetric_difference(shapely.union_all(drawn.loc[q1].geometry.to_numpy())).area < 1e-3 * drawn.loc["760"].geometry.area


def test_imported_boundaries_win_and_generated_ones_do_not(hcmc):
    square = shapely.box(106.69, 10.77, 106.71, 10.79)
    frame = gpd.GeoDataFrame({"code": ["26740"]}, geometry=[square], crs="EPSG:4326")
    save_boundaries(hcmc, frame, source="generated:test", approximate=True)
    assert load_boundaries(hcmc, ["26740"])["source"].iloc[0].startswith("shipped:")
    save_boundaries(hcmc, frame, source="file:city.geojson", approximate=False)
    drawn = load_boundaries(hcmc, ["26740"]).iloc[0]
    assert drawn["source"] == "file:city.geojson" and drawn.geometry.equals_exact(square, 1e-6)


def test_the_shipped_layer_never_draws_a_unit_of_the_old_layout(tmp_path):
    # The old single-layout demo: 26740 is Phường Bến Nghé under Quận 1, not today's Phường Sài Gòn.
    engine = engine_with_units(tmp_path)
    assert load_boundaries(engine, ["26740", "26734"]).empty


@needs_full_file
def test_importing_the_2025_file_into_a_database_of_both_layouts_matches_the_current_units(tmp_path):
    url = f"sqlite:///{tmp_path / 'both.sqlite'}"
    from data_access.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    load_layout(engine, "79")
    # 609 ward-level units are in the database, but only the 168 in force today are candidates.
    assert geo_main(["import", str(REAL_2025), "--level", "ward", "--url", url]) == 0
    drawn = load_boundaries(engine, current_units("79")["code"].tolist())
    assert len(drawn) == 168 and drawn["source"].eq("file:hcmc_wards_2025.geojson").all()
    # The former wards whose code today's units reuse keep their own version (their key).
    assert load_boundaries(engine, ["26740@2025-06-30"])["approximate"].all()


# --- another province brings its own file -----------------------------------------------------
def synthetic_boundaries(province: str, path: Path) -> dict:
    """A boundary file for a province's current units: Voronoi cells of their centroids, clipped
    to the hull of the centroids grown by 3 km. Returns code -> polygon."""
    units = current_units(province)
    points = shapely.multipoints(units[["lon", "lat"]].to_numpy(float))
    outline = shapely.convex_hull(points).buffer(0.03)
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=outline, ordered=True))
    shapes = {code: shapely.intersection(cell, outline) for code, cell in zip(units["gso_code"], cells)}
    features = [
        {"type": "Feature", "properties": {"ma_xa": code, "ten_xa": name}, "geometry": shapely.geometry.mapping(shapes[code])}
        for code, name in zip(units["gso_code"], units["name"])
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return shapes


@pytest.fixture(scope="module")
def hanoi(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hanoi")
    url = two_era_database(folder / "hanoi.sqlite", "01")
    shapes = synthetic_boundaries("01", folder / "hanoi_wards.geojson")
    assert geo_main(["import", str(folder / "hanoi_wards.geojson"), "--level", "ward", "--url", url]) == 0
    return url, shapes


def test_another_province_draws_its_own_imported_boundaries(hanoi, monkeypatch):
    url, shapes = hanoi
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    app = run_app("pages/map/map.py", period="2026-10")
    assert not app.exception
    assert app.title[0].value.endswith("Thành phố Hà Nội")
    fig = json.loads(app.get("plotly_chart")[0].proto.spec)
    drawn = {str(f["id"]): shapely.geometry.shape(f["geometry"]) for t in fig["data"] if t["type"] == "choroplethmap" for f in drawn_features(t)}
    assert set(drawn) == set(shapes) and len(drawn) == 126
    for code, shape in shapes.items():  # simplified for the browser, so nearly the file's shape
        assert drawn[code].symmetric_difference(shape).area < 0.05 * shape.area, code
    assert not any("gần đúng" in c.value for c in app.caption)


def test_another_province_ranks_and_profiles_its_own_units(hanoi, monkeypatch):
    """Hanoi after `reference init --province 01` and its own boundary file: the rankings list
    its 126 units directly under the city, and a unit's profile opens, with no code change."""
    url, _ = hanoi
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    app = open_page("pages/analysis/rankings.py", period="2026-10")
    assert app.title[0].value == "Xếp hạng" and len(app.dataframe[0].value) == 126
    assert not [s.value for s in app.subheader if "Thành phố Hồ Chí Minh" in s.value]
    unit = current_units("01").iloc[0]
    app = open_page("pages/analysis/unit_profile.py", period="2026-10", unit=unit["code"])
    assert app.title[0].value == f"Hồ sơ đơn vị · {unit['name']}"
    assert any("Hình thành từ" in m.value for m in app.markdown)  # its former wards, from Hanoi's crosswalk


# --- the map page in both eras ---------------------------------------------------------------
@pytest.fixture(scope="module")
def two_eras(tmp_path_factory):
    return two_era_database(tmp_path_factory.mktemp("eras") / "hcmc.sqlite", "79")


def map_figure(app) -> dict:
    assert not app.exception, app.exception[0].message if app.exception else ""
    charts = app.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def locations(fig: dict) -> list[str]:
    return [str(c) for t in fig["data"] if t["type"] == "choroplethmap" and t.get("subplot", "map") == "map" for c in t["locations"]]


def test_map_of_october_2026_shows_the_168_units_with_real_boundaries(two_eras, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", two_eras)
    app = run_app("pages/map/map.py", period="2026-10")
    fig = map_figure(app)
    assert sorted(locations(fig)) == sorted(current_units("79")["code"])
    assert not any("Quận" in t for tr in fig["data"] for t in (tr.get("text") or []) if isinstance(t, str))
    assert not any("gần đúng" in c.value for c in app.caption)
    # Côn Đảo, 80 km out at sea, is drawn in the inset box with its own polygon id.
    assert "26732" in locations(fig)
    # The hover carries the figures of the ratings table: Phường Sài Gòn (26740).
    engine = make_engine(two_eras)
    with engine.connect() as conn:
        good, total = conn.execute(
            text(
                "select sum(case when level in (1, 2) then 1 else 0 end), count(*) from ratings "
                "where unit_code = '26740' and rated_at >= '2026-10-01' and rated_at < '2026-11-01'"
            )
        ).one()
    trace = next(t for t in fig["data"] if t["type"] == "choroplethmap" and "26740" in t["locations"])
    hover = trace["text"][list(trace["locations"]).index("26740")]
    assert hover.startswith("<b>Phường Sài Gòn</b>") and f"({total} lượt đánh giá)" in hover
    assert f"{100 * good / total:.1f}".replace(".", ",") in hover


def test_centre_view_zooms_in_on_the_dense_centre_and_is_in_the_link(two_eras, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", two_eras)
    whole = map_figure(run_app("pages/map/map.py", period="2026-10"))
    app = run_app("pages/map/map.py", period="2026-10", view="centre")
    centre = map_figure(app)
    assert app.query_params.get("view") in ("centre", ["centre"])
    assert centre["layout"]["map"]["zoom"] > whole["layout"]["map"]["zoom"] + 2
    # The old centre (Phường Sài Gòn, 10.776 N 106.700 E) is in view.
    lat, lon = centre["layout"]["map"]["center"]["lat"], centre["layout"]["map"]["center"]["lon"]
    assert abs(lat - 10.776) < 0.08 and abs(lon - 106.700) < 0.08
    labels = [t for t in centre["data"] if t["type"] == "scattermap" and t.get("mode") == "text"]
    assert labels and "Sài Gòn" in labels[0]["text"]


def test_map_of_2024_shows_the_former_districts_labelled_approximate(two_eras, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", two_eras)
    # Today's 168 units by default (history restated); the layout of the time on request.
    assert len(locations(map_figure(run_app("pages/map/map.py", period="2024-Q2")))) == 168
    app = run_app("pages/map/map.py", period="2024-Q2", layout="then")
    fig = map_figure(app)
    districts = former_units("79").query("level == 'district' and parent_code == '79'")["code"]
    assert len(districts) == 22 and sorted(locations(fig)) == sorted(districts)
    assert any("Ranh giới các đơn vị cũ là gần đúng" in c.value for c in app.caption)
    quan_1 = map_figure(run_app("pages/map/map.py", period="2024-Q2", area="760", layout="then"))
    assert sorted(locations(quan_1)) == sorted(former_units("79").query("parent_code == '760'")["code"])


def test_a_former_district_in_a_link_to_a_current_period_says_so_and_shows_the_city(two_eras, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", two_eras)
    app = run_app("pages/map/map.py", period="2026-10", area="760", lang="en")
    fig = map_figure(app)
    assert len(locations(fig)) == 168
    assert any("Quận 1 exists only until 30/06/2025" in i.value for i in app.info), [i.value for i in app.info]


def test_the_map_benchmark_weighs_the_168_unit_message(two_eras, monkeypatch):
    """`python -m benchmarks.map --city-only` reports the figure message of today's map: its
    boundaries are fetched by URL (geo/published.py), so it counts the units the traces draw."""
    from benchmarks.map import figure_message

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", two_eras)
    size, features = figure_message({"period": "2026-10", "labels": "1"})
    assert features == 168 and 0 < size < 300_000, (size, features)


def test_generate_on_a_database_of_both_layouts_leaves_real_and_derived_boundaries_alone(tmp_path):
    # It failed before on the city, a unit of both layouts, written twice.
    from geo.generated import store_default_boundaries
    from tests.test_geo_helpers import engine_with_layout

    engine = engine_with_layout(tmp_path, "79")
    assert store_default_boundaries(engine) == 0  # every unit has a better boundary: nothing to generate
    drawn = load_boundaries(engine)
    assert len(drawn) == len(province_layout("79").units) - 1  # all but the city itself (never drawn as a child)
    assert not drawn["source"].str.startswith("generated").any()
