"""The legacy -> 2025 ward converter: legacy area estimates and real-data checks.

The package's converter (`data/converter_2025.json`) says which legacy wards form each 2025
unit: whole legacy wards (``DICT_PROVINCE_WARD_NO_DIVIDED``) and pieces of divided ones
(``DICT_PROVINCE_WARD_DIVIDED``). So, from the real 2025 polygons:

- a 2025 unit made only of whole legacy wards is the exact union of those legacy wards
  ("pure" units): generated legacy wards can be dissolved the same way and compared;
- a legacy district whose legacy wards only ever went into 2025 units made of that
  district's wards is the exact union of those 2025 units ("closed" districts);
- the old city outline is the union of the 2025 units made only of old-HCMC wards.

`legacy_area_estimates` splits each 2025 unit's official area (`wardAreaKm2`) among the
legacy wards that formed it (a target area per legacy ward for the generated polygons).

These give IoU figures for the real legacy pipeline on the real legacy package data (the
geocoder bounding boxes and centroids), only at a coarser level than single wards.
"""

from __future__ import annotations

import json
import unicodedata

import numpy as np
import pandas as pd

from geo.generated import _dataset_path, legacy_units, units_2025

PROVINCE_KEY = {"79": "thanhphohochiminh"}


def text_key(text) -> str:
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch)).lower()


def legacy_keys(old: pd.DataFrame, province_code: str = "79") -> pd.Series:
    """Legacy ward code -> converter key 'province_district_ward'."""
    pk = PROVINCE_KEY[province_code]
    dname = old[old["level"] == "district"].set_index("code")["name"]
    w = old[old["level"] == "ward"]
    return pd.Series([f"{pk}_{text_key(dname[p])}_{text_key(n)}" for p, n in zip(w["parent_code"], w["name"])], index=w["code"].to_numpy())


def composition(province_code: str = "79"):
    """2025 code -> {'whole': [legacy codes], 'parts': [legacy codes], 'foreign': bool}.

    Only 2025 units with at least one contributor from the legacy province are listed;
    'foreign' is True when some contributor comes from another legacy province.
    """
    conv = json.loads((_dataset_path().parent / "converter_2025.json").read_text(encoding="utf-8"))
    pk = PROVINCE_KEY[province_code]
    new_prov = next(k for k, v in conv["DICT_PROVINCE"].items() if pk in v)
    undivided = conv["DICT_PROVINCE_WARD_NO_DIVIDED"][new_prov]
    divided = conv["DICT_PROVINCE_WARD_DIVIDED"].get(new_prov, {})
    old = legacy_units(province_code)
    code_of = {k: c for c, k in legacy_keys(old, province_code).items()}
    old_w = old[old["level"] == "ward"].set_index("code")
    new = units_2025(province_code)
    new["key"] = new["name"].map(text_key)
    contrib: dict[str, dict] = {}
    for nk, olds in undivided.items():
        entry = contrib.setdefault(nk, {"whole": [], "parts": [], "foreign": False})
        for o in olds:
            if o in code_of:
                entry["whole"].append(code_of[o])
            else:
                entry["foreign"] = True
    for o, items in divided.items():
        for it in items:
            entry = contrib.setdefault(it["newWardKey"], {"whole": [], "parts": [], "foreign": False})
            if o in code_of:
                entry["parts"].append(code_of[o])
            else:
                entry["foreign"] = True
    result = {}
    for nk, entry in contrib.items():
        members = entry["whole"] + entry["parts"]
        if not members:
            continue
        cands = new[new["key"] == nk]
        if cands.empty:
            continue
        lat = old_w.loc[members, "lat"].mean()
        lon = old_w.loc[members, "lon"].mean()
        best = cands.iloc[np.argmin((cands["lat"] - lat) ** 2 + (cands["lon"] - lon) ** 2)]
        result[best["code"]] = entry
    return result


def truth_layers(real, province_code: str = "79"):
    """From the real 2025 polygons (GeoDataFrame with `code`), in the frame's CRS:

    pure: DataFrame[code, members (legacy ward codes), geometry] of 2025 units made of whole
    legacy wards; districts: Series legacy district code -> real polygon of closed districts;
    city: the old province outline; also the composition dict.
    """
    import shapely

    comp = composition(province_code)
    real = real.set_index(real["code"].astype(str))
    old = legacy_units(province_code)
    parent = old[old["level"] == "ward"].set_index("code")["parent_code"]
    pure = [(code, e["whole"], real.geometry[code]) for code, e in comp.items() if not e["parts"] and not e["foreign"] and code in real.index]
    inside = [code for code, e in comp.items() if not e["foreign"] and code in real.index]
    city = shapely.union_all(real.geometry.loc[inside].to_numpy())
    # closed districts
    by_district: dict[str, set] = {}
    for code, e in comp.items():
        for m in e["whole"] + e["parts"]:
            by_district.setdefault(parent[m], set()).add(code)
    districts = {}
    for d, news in by_district.items():
        ok = all(not comp[n]["foreign"] and {parent[m] for m in comp[n]["whole"] + comp[n]["parts"]} == {d} for n in news)
        if ok and all(n in real.index for n in news):
            districts[d] = shapely.union_all(real.geometry.loc[sorted(news)].to_numpy())
    pure_df = pd.DataFrame(pure, columns=["code", "members", "geometry"])
    return pure_df, pd.Series(districts, dtype=object), city, comp


def legacy_area_estimates(province_code: str = "79", fill: float = 0.55) -> pd.Series:
    """Legacy ward code -> estimated area (km^2), consistent with the 2025 official areas.

    Prior: `fill` x bounding-box area (a divided legacy ward: an equal share of it in each
    2025 unit it went to). Each 2025 unit's official area is split among its contributors in
    proportion to their priors; a legacy ward's estimate is the sum of its shares. Legacy
    wards without a 2025 unit keep their prior.
    """
    from geo.generated import KM_PER_DEG_LAT

    comp = composition(province_code)
    old = legacy_units(province_code)
    w = old[old["level"] == "ward"].set_index("code")
    new_area = units_2025(province_code).set_index("code")["area_km2"]
    box = ((w["north"] - w["south"]) * KM_PER_DEG_LAT) * ((w["east"] - w["west"]) * KM_PER_DEG_LAT * np.cos(np.radians(w["lat"])))
    prior = (fill * box).where(box > 0)
    prior = prior.fillna(prior.median()).to_dict()
    pieces: dict[str, int] = {}
    for e in comp.values():
        for m in e["parts"]:
            pieces[m] = pieces.get(m, 0) + 1
    estimate: dict[str, float] = {}
    for code, e in comp.items():
        total = new_area.get(code, np.nan)
        if e["foreign"] or not np.isfinite(total) or total <= 0:
            continue
        shares = {m: prior[m] for m in e["whole"]}
        for m in e["parts"]:
            shares[m] = shares.get(m, 0.0) + prior[m] / pieces[m]
        scale = total / sum(shares.values())
        for m, v in shares.items():
            estimate[m] = estimate.get(m, 0.0) + v * scale
    return pd.Series({c: estimate.get(c, prior[c]) for c in w.index})
