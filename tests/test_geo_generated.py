"""The generated default geography: every unit has a polygon, wards tile districts tile the city."""

import pytest
import shapely

from geo.generated import build_generated_boundaries, legacy_units

METRIC = "EPSG:32648"


@pytest.fixture(scope="module")
def generated(generated_boundaries):
    return generated_boundaries


def test_every_unit_has_a_valid_polygon(generated):
    units = legacy_units("79")
    assert set(generated["code"]) == set(units["code"])
    assert (generated["level"] == "ward").sum() == 273
    assert (generated["level"] == "district").sum() == 22
    assert (generated["level"] == "city").sum() == 1
    assert generated.geometry.notna().all()
    assert not generated.geometry.is_empty.any()
    assert generated.is_valid.all()
    assert set(generated.geom_type) <= {"Polygon", "MultiPolygon"}
    assert generated.crs.to_epsg() == 4326


@pytest.mark.parametrize("level", ["ward", "district"])
def test_each_level_is_a_coverage_without_gaps_or_overlaps(generated, level):
    layer = generated[generated["level"] == level]
    assert shapely.coverage_is_valid(layer.geometry.to_numpy())
    metric = layer.to_crs(METRIC)
    union = shapely.union_all(metric.geometry.to_numpy())
    assert union.area == pytest.approx(metric.area.sum(), rel=1e-6)  # no overlaps
    city = generated[generated["level"] == "city"].to_crs(METRIC).geometry.iloc[0]
    assert union.symmetric_difference(city).area < 1e-6 * city.area  # no gaps: they tile the city


def test_each_ward_lies_in_its_district(generated):
    metric = generated.to_crs(METRIC)
    districts = metric[metric["level"] == "district"].set_index("code").geometry
    for ward in metric[metric["level"] == "ward"].itertuples():
        district = districts[ward.parent_code]
        assert ward.geometry.difference(district).area < 1e-6 * ward.geometry.area, ward.code
    wards = metric[metric["level"] == "ward"]
    for code, district in districts.items():
        union = shapely.union_all(wards[wards["parent_code"] == code].geometry.to_numpy())
        assert union.symmetric_difference(district).area < 1e-6 * district.area, code


def test_wards_are_near_their_centroids_and_plausible(generated):
    units = legacy_units("79").set_index("code")
    wards = generated[generated["level"] == "ward"].to_crs(METRIC)
    areas_km2 = wards.area / 1e6
    assert areas_km2.min() > 0.05
    assert areas_km2.sum() == pytest.approx(2095, rel=0.35)  # HCMC: about 2,095 km²
    near = 0
    for ward in generated[generated["level"] == "ward"].itertuples():
        u = units.loc[ward.code]
        gap = ward.geometry.distance(shapely.Point(u["lon"], u["lat"]))
        assert gap < 0.02, ward.code  # about 2 km
        near += gap < 0.003
    assert near >= 0.95 * 273


def test_units_frame_from_the_database_is_accepted():
    units = legacy_units("79")[["code", "name", "level", "parent_code", "lat", "lon"]]
    units = units[(units["level"] != "ward") | (units["parent_code"] == "760")]  # Quận 1 only
    out = build_generated_boundaries(units)
    assert sorted(out.loc[out["level"] == "ward", "code"]) == sorted(units.loc[units["level"] == "ward", "code"])
    assert shapely.coverage_is_valid(out[out["level"] == "ward"].geometry.to_numpy())


def test_quality_against_real_2025_polygons():
    """The legacy layout against unions of real 2025 polygons (see geo.validate.legacy_check)."""
    import geopandas as gpd

    from geo.validate import DEFAULT_FILE, legacy_check

    if not DEFAULT_FILE.exists():
        pytest.skip(f"real 2025 boundary file not found: {DEFAULT_FILE}")
    real = gpd.read_file(DEFAULT_FILE)[["code", "geometry"]]
    report = legacy_check(real)
    assert report["closed_districts"] >= 15 and report["pure_units"] >= 50
    assert report["pure_unit_iou_q1_median_q3"][1] >= 0.70
    assert report["district_iou_q1_median_q3"][1] >= 0.80
    assert report["city_iou"] >= 0.82
