"""Bring your own boundaries: the real 2025 file, and small broken files."""

import json

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import func, select

from data_access.boundaries import has_boundaries
from data_access.schema import unit_boundaries
from geo.__main__ import main as cli_main
from geo.boundaries import load_boundaries, save_boundaries
from geo.generated import legacy_units
from geo.importer import ImportRefused, import_boundaries, prepare_import
from tests.test_geo_helpers import REAL_2025, REAL_2025_MISSING, engine_with_units

needs_real = pytest.mark.skipif(not REAL_2025.exists(), reason=REAL_2025_MISSING)


def _rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(unit_boundaries.c.unit_code, unit_boundaries.c.geojson).order_by(unit_boundaries.c.unit_code)).all()


def _quan1_wards():
    """Small squares for the 10 wards of Quận 1 (legacy codes), as a GeoDataFrame."""
    wards = legacy_units("79").query("parent_code == '760'")
    geoms = [shapely.box(lon - 0.002, lat - 0.002, lon + 0.002, lat + 0.002) for lon, lat in zip(wards["lon"], wards["lat"])]
    return gpd.GeoDataFrame({"code": wards["code"].to_numpy(), "name": wards["name"].to_numpy(), "parent_code": "760"}, geometry=geoms, crs="EPSG:4326")


@needs_real
def test_real_2025_file_matches_all_168_by_code(tmp_path):
    engine = engine_with_units(tmp_path, "2025")
    report = import_boundaries(engine, REAL_2025, "ward")
    assert report.matched == 168 and len(report.matched_by_code) == 168
    assert report.units_without_feature == [] and report.features_without_unit == []
    loaded = load_boundaries(engine)
    assert len(loaded) == 168 and not loaded["approximate"].any()
    assert loaded.is_valid.all()
    fc_bytes = len(json.dumps(json.loads(loaded.to_json())).encode())
    assert fc_bytes < 600_000


@needs_real
def test_real_2025_file_matches_by_name_without_code_field(tmp_path):
    engine = engine_with_units(tmp_path, "2025")
    real = gpd.read_file(REAL_2025).drop(columns=["code"])
    path = tmp_path / "no_code.gpkg"
    real.to_file(path)
    report = import_boundaries(engine, path, "ward")
    assert report.matched == 168 and len(report.matched_by_name) == 168, report.text()


@needs_real
def test_real_2025_file_against_legacy_units_is_refused(tmp_path):
    engine = engine_with_units(tmp_path, "legacy")
    with pytest.raises(ImportRefused, match="below the minimum"):
        import_boundaries(engine, REAL_2025, "ward")
    assert not has_boundaries(engine)


def test_bow_tie_is_repaired_and_reported(tmp_path):
    engine = engine_with_units(tmp_path)
    gdf = _quan1_wards()
    x, y = gdf.geometry.iloc[0].centroid.coords[0]
    gdf.loc[0, "geometry"] = shapely.Polygon([(x - 0.002, y - 0.002), (x + 0.002, y + 0.002), (x + 0.002, y - 0.002), (x - 0.002, y + 0.002)])
    assert not gdf.geometry.iloc[0].is_valid
    path = tmp_path / "bowtie.geojson"
    gdf.to_file(path, driver="GeoJSON")
    report = import_boundaries(engine, path, "ward", min_match=0.03)
    assert any("make_valid" in what for _, what in report.repaired)
    assert "Repaired geometries: 1" in report.text()
    loaded = load_boundaries(engine)
    assert len(loaded) == 10 and loaded.is_valid.all()


def test_wrong_codes_are_refused_and_db_unchanged(tmp_path, capsys):
    engine = engine_with_units(tmp_path)
    good = _quan1_wards()
    save_boundaries(engine, good, source="test", approximate=True)
    before = _rows(engine)
    bad = good.copy()
    bad["code"] = [str(90000 + i) for i in range(len(bad))]
    bad["name"] = [f"Nowhere {i}" for i in range(len(bad))]
    path = tmp_path / "wrong.geojson"
    bad.to_file(path, driver="GeoJSON")
    url = str(engine.url)
    status = cli_main(["import", str(path), "--level", "ward", "--url", url])
    assert status == 2
    err = capsys.readouterr().err
    assert "Refused: only 0 of 273 ward units" in err and "database was not changed" in err
    assert _rows(engine) == before


def test_non_geo_file_is_refused(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportRefused):
        prepare_import(path, legacy_units("79"), "ward")
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ImportRefused, match="Not a readable boundary file"):
        prepare_import(path, legacy_units("79"), "ward")


def test_vn2000_utm_file_is_reprojected(tmp_path):
    gdf = _quan1_wards()
    path = tmp_path / "vn2000.shp"
    gdf.to_crs("EPSG:3405").to_file(path)  # VN-2000 / UTM zone 48N
    matched, report = prepare_import(path, legacy_units("79"), "ward", min_match=0.03)
    assert "3405" in report.source_crs
    assert len(matched) == 10
    back = matched.set_index("code").geometry
    for code, geom in zip(gdf["code"], gdf.geometry):
        # VN-2000 -> WGS84 uses the datum shift: the result lands within a few metres.
        assert back[code].centroid.distance(geom.centroid) < 5e-5


def test_name_matching_within_parent(tmp_path):
    """'Phường 01' of Quận 3 vs Phường 1 of Quận 4: the parent field decides."""
    units = legacy_units("79")
    wards = units.query("level == 'ward' and parent_code in ['770', '773'] and name == 'Phường 1'")
    assert len(wards) == 2
    gdf = gpd.GeoDataFrame(
        {"ten": ["P. 01", "Phường 01"], "huyen": ["Quận 3", "Q.4"]},
        geometry=[shapely.box(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001) for lon, lat in zip(wards["lon"], wards["lat"])],
        crs="EPSG:4326",
    )
    path = tmp_path / "names.geojson"
    gdf.to_file(path, driver="GeoJSON")
    matched, report = prepare_import(path, units, "ward", name_field="ten", parent_field="huyen", min_match=0.001)
    assert sorted(matched["code"]) == sorted(wards["code"])
    assert len(report.matched_by_name) == 2
    # Without the parent field the name is ambiguous: reported, not guessed.
    _, report = prepare_import(path, units, "ward", name_field="ten", min_match=0.0)
    assert report.matched == 0
    assert all("several units" in why for *_, why in report.features_without_unit)


def test_save_rejects_unknown_codes_atomically(tmp_path):
    engine = engine_with_units(tmp_path)
    good = _quan1_wards()
    save_boundaries(engine, good, source="test", approximate=True)
    before = _rows(engine)
    mixed = good.copy()
    mixed.loc[0, "code"] = "99999"
    with pytest.raises(ValueError, match="not units"):
        save_boundaries(engine, mixed, source="test", approximate=False)
    assert _rows(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(unit_boundaries)).scalar() == 10
