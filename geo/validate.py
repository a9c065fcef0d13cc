"""Measure the generated-boundary method against a real boundary file (the 2025 HCMC layout).

    python -m geo.validate [/work/shared/geo/hcmc_wards_2025.geojson]

The legacy (22 districts / 273 wards) layout has no real file here, so the same method runs
on the 2025 units (package centroids) and each generated ward is compared with the real one:
intersection over union per ward. Variants:

- ``centroid+area``: package centroid and official area, outline = discs around the centroids
  (what the 2025 package data allows);
- ``centroid+bbox``: package centroid plus the real polygon's bounding box, area unknown
  (emulates the legacy data, which ships bounding boxes but no areas: the method the
  demo geography uses);
- ``centroid+area+bbox``: both (an upper bound for what areas would add).

- ``centroid+noisybbox+area``: as above with every bounding-box side, with probability
  0.25, moved by a normal error of 3 % of the box's extent (fixed seed): a stress test.
  The legacy geocoder boxes are in fact nearly exact (compared with the real polygons of the
  2025 units they form: median side error ~0.2 % of the extent, 90th percentile ~3 %,
  except Cần Giờ's sea side), so ``centroid+area+bbox`` is the realistic analogue of the
  legacy data (boxes + areas estimated from the converter).

District proxy: the new wards are grouped by the pre-2025 district most of their old wards
belonged to (package converter), both layers dissolved by group, IoU per group.

``legacy (real data)``: the real legacy pipeline (`build_generated_boundaries()`, package
centroids and geocoder boxes of the 273 wards) checked against unions of real 2025
polygons (see `geo.legacy_converter`): ``pure_unit_iou`` over the 2025 units made of whole
legacy wards (2-5 legacy wards each), ``district_iou`` over the legacy districts that are
exact unions of 2025 units (17 of 22), ``city_iou`` for the old city outline.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.generated import _dataset_path, legacy_units, partition_polygons, units_2025

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "shared" / "geo" / "hcmc_wards_2025.geojson"
METRIC_CRS = "EPSG:32648"


def iou(a: gpd.GeoSeries, b: gpd.GeoSeries) -> np.ndarray:
    inter = a.intersection(b, align=False).area.to_numpy()
    union = a.union(b, align=False).area.to_numpy()
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _old_district_groups(units: pd.DataFrame) -> pd.Series:
    """New ward code -> code of the pre-2025 district most of its old wards were in."""
    conv = json.loads((_dataset_path().parent / "converter_2025.json").read_text(encoding="utf-8"))
    undivided = conv["DICT_PROVINCE_WARD_NO_DIVIDED"]["thanhphohochiminh"]
    divided = conv["DICT_PROVINCE_WARD_DIVIDED"]
    old = pd.concat([legacy_units(p) for p in ("79", "74", "77")])
    import unicodedata

    def key(text):
        text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
        return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch)).lower()

    district_by_key = {}
    prov_key = {"79": "thanhphohochiminh", "74": "tinhbinhduong", "77": "tinhbariavungtau"}
    prov_of = {}
    for _, d in old[old["level"] == "district"].iterrows():
        prov_of[d["code"]] = d["parent_code"]
    for _, w in old[old["level"] == "ward"].iterrows():
        pk = prov_key[prov_of[w["parent_code"]]]
        dname = old.loc[(old["code"] == w["parent_code"]) & (old["level"] == "district"), "name"].iloc[0]
        district_by_key[f"{pk}_{key(dname)}_{key(w['name'])}"] = w["parent_code"]
        district_by_key.setdefault(f"{pk}_{key(dname)}_", w["parent_code"])
    votes: dict[str, list[str]] = {}
    for new_key, olds in undivided.items():
        votes.setdefault(new_key, []).extend(district_by_key.get(o) for o in olds)
    for prov_divided in divided.values():
        for old_key, news in prov_divided.items():
            for item in news:
                votes.setdefault(item["newWardKey"], []).append(district_by_key.get(old_key))
    result = {}
    for _, u in units.iterrows():
        v = [x for x in votes.get(key(u["name"]), []) if x]
        if v:
            result[u["code"]] = pd.Series(v).mode().iloc[0]
    return pd.Series(result)


def run(path: Path = DEFAULT_FILE) -> dict:
    real = gpd.read_file(path)[["code", "geometry"]]
    real["code"] = real["code"].astype(str)
    units = units_2025("79")
    real = real.set_index("code").loc[units["code"]].reset_index()
    real_m = real.to_crs(METRIC_CRS).geometry
    bounds = real.geometry.bounds
    with_box = units.copy()
    with_box["west"], with_box["south"], with_box["east"], with_box["north"] = (
        bounds["minx"].to_numpy(),
        bounds["miny"].to_numpy(),
        bounds["maxx"].to_numpy(),
        bounds["maxy"].to_numpy(),
    )
    with_box["area_km2"] = np.nan
    groups = _old_district_groups(units)
    report = {}
    for label, sites, opts in (
        ("centroid+area", units, {"outline": "disc", "cell_km": 0.1}),
        ("centroid+bbox", with_box, {"outline": "bbox", "cell_km": 0.1}),
        ("centroid+area+bbox", with_box.assign(area_km2=units["area_km2"].to_numpy()), {"outline": "bbox", "cell_km": 0.1}),
        ("centroid+noisybbox+area", _noisy(with_box).assign(area_km2=units["area_km2"].to_numpy()), {"outline": "bbox", "cell_km": 0.1}),
    ):
        start = time.perf_counter()
        polys = partition_polygons(sites.reset_index(drop=True), **opts)
        seconds = time.perf_counter() - start
        gen = gpd.GeoSeries(polys, crs="EPSG:4326").to_crs(METRIC_CRS)
        ward_iou = iou(gen, real_m)
        g = pd.Series(units["code"].map(groups).to_numpy())
        ok = g.notna().to_numpy()
        gen_d = gpd.GeoDataFrame({"g": g[ok].to_numpy()}, geometry=gen[ok].to_numpy(), crs=METRIC_CRS).dissolve("g")
        real_d = gpd.GeoDataFrame({"g": g[ok].to_numpy()}, geometry=real_m[ok].to_numpy(), crs=METRIC_CRS).dissolve("g")
        dist_iou = iou(gen_d.geometry, real_d.geometry.loc[gen_d.index])
        report[label] = {
            "wards": len(units),
            "ward_iou_q1_median_q3": np.round(np.percentile(ward_iou, [25, 50, 75]), 3).tolist(),
            "district_groups": len(gen_d),
            "district_iou_q1_median_q3": np.round(np.percentile(dist_iou, [25, 50, 75]), 3).tolist(),
            "seconds": round(seconds, 1),
        }
    report["legacy (real data)"] = legacy_check(real)
    return report


def _noisy(frame: pd.DataFrame, share: float = 0.25, scale: float = 0.03, seed: int = 0) -> pd.DataFrame:
    """Bounding boxes with some sides moved by a normal error proportional to the extent."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    width = (out["east"] - out["west"]).to_numpy()
    height = (out["north"] - out["south"]).to_numpy()
    for col, extent in (("west", width), ("east", width), ("south", height), ("north", height)):
        hit = rng.random(len(out)) < share
        out[col] = out[col].to_numpy() + hit * rng.normal(0, scale, len(out)) * extent
    out["lat"] = out["lat"].clip(out["south"], out["north"])
    out["lon"] = out["lon"].clip(out["west"], out["east"])
    return out


def legacy_check(real: gpd.GeoDataFrame) -> dict:
    """The generated legacy layout against unions of the real 2025 polygons."""
    import shapely

    from geo.generated import build_generated_boundaries
    from geo.legacy_converter import truth_layers

    pure, districts, city, _ = truth_layers(real.to_crs(METRIC_CRS))
    start = time.process_time()
    gen = build_generated_boundaries()
    seconds = time.process_time() - start
    gen = gen.to_crs(METRIC_CRS).set_index("code")
    wards = gen[gen["level"] == "ward"].geometry

    def one(a, b):
        return shapely.intersection(a, b).area / shapely.union(a, b).area

    pure_iou = [one(shapely.union_all(wards.loc[m].to_numpy()), g) for m, g in zip(pure["members"], pure["geometry"])]
    district_iou = [one(gen.geometry[c], g) for c, g in districts.items()]
    return {
        "pure_units": len(pure),
        "pure_unit_iou_q1_median_q3": np.round(np.percentile(pure_iou, [25, 50, 75]), 3).tolist(),
        "closed_districts": len(districts),
        "district_iou_q1_median_q3": np.round(np.percentile(district_iou, [25, 50, 75]), 3).tolist(),
        "district_iou_min": round(float(min(district_iou)), 3),
        "city_iou": round(one(gen[gen["level"] == "city"].geometry.iloc[0], city), 3),
        "build_cpu_seconds": round(seconds, 1),
    }


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FILE
    if not target.exists():
        sys.exit(f"real boundary file not found: {target}")
    print(json.dumps(run(target), indent=2))
