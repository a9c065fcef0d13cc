"""Simplified GeoJSON size budget, storage round trip, and the offline map figure."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely

from data_access.boundaries import has_boundaries
from geo.boundaries import load_boundaries
from geo.generated import store_default_boundaries as generate_and_save
from geo.figures import NO_DATA_TEXT, center_zoom, choropleth_map, feature_bounds
from geo.simplify import geojson_bytes, simplify_to_budget, to_feature_collection
from tests.test_geo_helpers import engine_with_units


@pytest.fixture(scope="module")
def generated(generated_boundaries):
    return generated_boundaries


@pytest.fixture(scope="module")
def ward_fc(generated):
    wards, _ = simplify_to_budget(generated[generated["level"] == "ward"], 300_000)
    return to_feature_collection(wards)


def test_size_budget_and_coverage_kept(generated):
    wards, tol_w = simplify_to_budget(generated[generated["level"] == "ward"], 300_000)
    districts, tol_d = simplify_to_budget(generated[generated["level"] == "district"], 60_000)
    assert geojson_bytes(to_feature_collection(wards)) <= 300_000
    assert geojson_bytes(to_feature_collection(districts)) <= 60_000
    for layer in (wards, districts):
        assert layer.is_valid.all()
        assert shapely.coverage_is_valid(layer.geometry.to_numpy())
    fc = to_feature_collection(wards)
    assert len(fc["features"]) == 273
    assert all(set(f) == {"type", "id", "properties", "geometry"} and f["properties"] == {} for f in fc["features"])
    text = json.dumps(fc)
    assert not re.search(r"\d\.\d{6,}", text)  # rounded to 5 decimals


def test_generate_save_load_round_trip(tmp_path):
    engine = engine_with_units(tmp_path)
    assert not has_boundaries(engine)
    count = generate_and_save(engine)
    assert count == 296
    loaded = load_boundaries(engine)
    assert len(loaded) == 296 and loaded["approximate"].all()
    assert set(loaded["level"]) == {"city", "district", "ward"}
    some = load_boundaries(engine, codes=["760", "26734"])
    assert sorted(some["code"]) == ["26734", "760"]


def _frame(fc, with_data_share=0.8):
    codes = [f["id"] for f in fc["features"]]
    rng = np.random.default_rng(1)
    values = rng.uniform(0.9, 1.0, len(codes))
    values[int(len(codes) * with_data_share) :] = np.nan
    return pd.DataFrame({"code": codes, "name": [f"Unit {c}" for c in codes], "rate": values, "hover_text": [f"<b>Unit {c}</b><br>rate" for c in codes]})


def test_figure_is_offline_and_marks_no_data(ward_fc):
    frame = _frame(ward_fc)
    fig = choropleth_map(ward_fc, frame, "rate", kpi_label="Tỷ lệ hài lòng", higher_is_better=True)
    style = fig.layout.map.style
    assert style["layers"] == [{"id": "background", "type": "background", "paint": {"background-color": "#ffffff"}}] or len(style["layers"]) == 1
    assert style["glyphs"].startswith("/app/static/glyphs/")  # served by the app itself
    text = fig.to_json()
    assert not re.search(r"https?://", text)
    assert len(text.encode()) < 320_000  # each feature sent once, though split over two traces
    assert len(fig.data) == 2
    main, grey = fig.data
    assert main.type == grey.type == "choroplethmap"
    assert main.featureidkey == "id" and list(main.locations) == list(frame["code"][frame["rate"].notna()])
    assert [row[0] for row in main.customdata] == list(main.locations)
    assert main.colorbar.tickformat == ".0%" and main.colorbar.title.text == "Tỷ lệ hài lòng"
    assert main.colorbar.tickfont.size >= 16
    missing = set(frame.loc[frame["rate"].isna(), "code"])
    assert set(grey.locations) == missing and grey.showscale is False
    assert all(NO_DATA_TEXT["vi"] in t for t in grey.text)
    assert not any(np.isnan(main.z))  # no-data never drawn as a value


def test_direction_of_the_colour_scale(ward_fc):
    frame = _frame(ward_fc, 1.0)
    good_high = choropleth_map(ward_fc, frame, "rate", higher_is_better=True)
    good_low = choropleth_map(ward_fc, frame, "rate", higher_is_better=False)
    assert good_high.data[0].colorscale[-1][1] == good_low.data[0].colorscale[0][1]  # "good" green
    assert len(good_high.data) == 1  # every unit has data: no grey trace


def test_map_fits_the_shown_features(ward_fc):
    frame = _frame(ward_fc, 1.0)
    district = [f for f in ward_fc["features"] if f["id"] in {"26734", "26737", "26740"}]
    small = {"type": "FeatureCollection", "features": district}
    fig_small = choropleth_map(small, frame, "rate")
    fig_city = choropleth_map(ward_fc, frame, "rate")
    assert fig_small.layout.map.zoom > fig_city.layout.map.zoom + 2
    west, south, east, north = feature_bounds(small)
    assert west < fig_small.layout.map.center.lon < east and south < fig_small.layout.map.center.lat < north
    center, zoom = center_zoom((106.36, 10.35, 107.03, 11.16), 900, 600)
    assert 8.5 < zoom < 10.5


def test_labels_draw_short_names_with_the_local_font(ward_fc):
    frame = _frame(ward_fc, 1.0)
    fig = choropleth_map(ward_fc, frame, "rate", labels=True)
    labels = fig.data[-1]
    assert labels.type == "scattermap" and labels.mode == "text"
    assert labels.textfont.family == "DejaVu Sans Book"
    # 273 wards at the size of a whole-city map: only the names that fit are drawn, the hover names the rest.
    assert 0 < len(labels.text) < len(ward_fc["features"])
