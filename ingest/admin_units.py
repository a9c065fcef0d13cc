"""A province's units in both layouts and the crosswalk between them, from the packaged data.

The `vietnamadminunits` package ships the 34 provinces of the two-tier layout in force since
1 July 2025 (wards, communes and special zones directly under the province: codes, names,
centroids, official areas), the former layout of June 2025 (provinces, districts, wards)
and the old->new mapping with whole/part flags, without weights. `province_layout("79")`
turns that into the rows of `units` and `unit_lineage`:

- the province itself, in force in both eras (a merged city keeps its code);
- its current units from REFORM_DATE, directly under it;
- every former province merged into it, its districts and wards, until the day before;
- one link per (former ward, new unit) it went into, whole or part, plus district links
  (part links to every new unit that received one of the district's wards) and province
  links (whole, a merge).

The package knows only the layout of June 2025; using it for every earlier month is an
approximation (old HCMC had 312 wards before 1 January 2025).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from domain import vocab
from domain.errors import UserFacingError
from domain.units import unit_key

REFORM_DATE = date(2025, 7, 1)  # the two-tier layout is in force from this day
FORMER_UNTIL = REFORM_DATE - timedelta(days=1)

UNIT_COLUMNS = ["code", "gso_code", "name", "level", "parent_code", "lat", "lon", "area_km2", "valid_from", "valid_to"]
LINEAGE_COLUMNS = ["old_code", "new_code", "effective_date", "kind", "whole", "weight"]


class UnknownProvince(UserFacingError):
    def __init__(self, code: str, known: dict[str, str]):
        listing = ", ".join(f"{c} {n}" for c, n in sorted(known.items()))
        super().__init__(
            listing,
            vi=f"Không có tỉnh/thành phố mã {code!r} trong danh mục 34 tỉnh, thành phố. Các mã hợp lệ:",
            en=f"No province with code {code!r} among the 34 provinces. Valid codes:",
        )


@dataclass(frozen=True)
class ProvinceLayout:
    code: str
    name: str
    units: pd.DataFrame  # UNIT_COLUMNS; keys from domain.units.unit_key, current units first
    lineage: pd.DataFrame  # LINEAGE_COLUMNS, in unit keys


def _package_data() -> Path:
    # Locate the package's data without importing it (its parsers load slowly).
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise UserFacingError(vi="Chưa cài gói vietnamadminunits.", en="The vietnamadminunits package is not installed.")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _query(sql: str, params: tuple = ()) -> pd.DataFrame:
    path = _package_data() / "dataset.db"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return pd.read_sql_query(sql, connection, params=params)


@functools.lru_cache(maxsize=1)
def _crosswalk() -> dict:
    return json.loads((_package_data() / "converter_2025.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def provinces() -> dict[str, str]:
    """The 34 provinces of the current layout: code -> name."""
    frame = _query("SELECT DISTINCT provinceCode, province FROM admin_units ORDER BY provinceCode")
    return dict(zip(frame["provinceCode"], frame["province"]))


@functools.lru_cache(maxsize=40)
def province_layout(code: str) -> ProvinceLayout:
    """Both layouts of province `code` ("79", "01", ...) and their crosswalk."""
    known = provinces()
    if code not in known:
        raise UnknownProvince(code, known)
    current = _query(
        "SELECT province, provinceKey, provinceLat, provinceLon, wardCode, ward, wardKey, wardLat, wardLon, wardAreaKm2 "
        "FROM admin_units WHERE provinceCode = ? ORDER BY wardCode",
        (code,),
    )
    province_key = current["provinceKey"].iat[0]
    former_keys = _crosswalk()["DICT_PROVINCE"].get(province_key, [province_key])
    marks = ",".join("?" * len(former_keys))
    former = _query(
        "SELECT provinceCode, province, provinceKey, provinceLat, provinceLon, districtCode, district, districtKey, "
        "districtLat, districtLon, wardCode, ward, wardKey, wardLat, wardLon "
        f"FROM admin_units_legacy WHERE provinceKey IN ({marks}) ORDER BY provinceCode, districtCode, wardCode",
        tuple(former_keys),
    )

    rows: list[tuple] = []
    taken: set[str] = set()

    def add(gso_code, name, level, parent, lat, lon, area, valid_from, valid_to) -> str:
        key = unit_key(gso_code, valid_from, valid_to, taken)
        taken.add(key)
        rows.append((key, gso_code, name, level, parent, lat, lon, area, valid_from, valid_to))
        return key

    # Current units first: they keep the bare codes that today's exports and links use.
    first = current.iloc[0]
    add(code, first["province"], vocab.CITY, None, first["provinceLat"], first["provinceLon"], None, None, None)
    new_key = {}
    for r in current.itertuples():
        new_key[r.wardKey] = add(r.wardCode, r.ward, vocab.WARD, code, r.wardLat, r.wardLon, r.wardAreaKm2, REFORM_DATE, None)

    old_key: dict[str, str] = {}  # "provincekey_districtkey_wardkey" -> unit key
    district_of: dict[str, str] = {}  # former unit key -> its district's unit key
    province_links = []
    for province_code, part in former.groupby("provinceCode", sort=True):
        head = part.iloc[0]
        if province_code == code:
            province = code
        else:
            province = add(province_code, head["province"], vocab.CITY, None, head["provinceLat"], head["provinceLon"], None, None, FORMER_UNTIL)
            province_links.append(province)
        for _, district in part.groupby("districtCode", sort=True):
            d = district.iloc[0]
            district_key = add(d["districtCode"], d["district"], vocab.DISTRICT, province, d["districtLat"], d["districtLon"], None, None, FORMER_UNTIL)
            for w in district.itertuples():
                source = f"{w.provinceKey}_{w.districtKey}_{'' if pd.isna(w.wardKey) else w.wardKey}"
                if pd.isna(w.wardCode) or not w.wardCode:  # a district with no wards (Côn Đảo): the district itself is the former unit
                    old_key[source] = district_key
                    continue
                old_key[source] = add(w.wardCode, w.ward, vocab.WARD, district_key, w.wardLat, w.wardLon, None, None, FORMER_UNTIL)
                district_of[old_key[source]] = district_key
    units = pd.DataFrame(rows, columns=UNIT_COLUMNS)

    links = [(old, code, REFORM_DATE, "merge", True) for old in province_links]
    crosswalk = _crosswalk()
    for new_ward, sources in crosswalk["DICT_PROVINCE_WARD_NO_DIVIDED"].get(province_key, {}).items():
        kind = "merge" if len(sources) > 1 else "rename"
        links += [(old_key[s], new_key[new_ward], REFORM_DATE, kind, True) for s in sources if s in old_key]
    for source, targets in crosswalk["DICT_PROVINCE_WARD_DIVIDED"].get(province_key, {}).items():
        if source in old_key:
            links += [(old_key[source], new_key[t["newWardKey"]], REFORM_DATE, "split", False) for t in targets if t["newWardKey"] in new_key]
    lineage = pd.DataFrame(links, columns=LINEAGE_COLUMNS[:-1])
    # A former district went into every new unit that received one of its wards: whole when
    # all its wards went whole into one unit, else in part.
    wards = lineage[lineage["old_code"].isin(district_of.keys())].assign(district=lambda f: f["old_code"].map(district_of))
    by_district = wards.groupby("district").agg(targets=("new_code", "nunique"), all_whole=("whole", "all"))
    whole = (by_district["targets"] == 1) & by_district["all_whole"]
    districts = wards.drop_duplicates(["district", "new_code"]).assign(
        old_code=lambda f: f["district"],
        whole=lambda f: f["district"].map(whole).astype(bool),
        kind=lambda f: f["whole"].map({True: "merge", False: "split"}),
    )[LINEAGE_COLUMNS[:-1]]
    lineage = pd.concat([lineage, districts], ignore_index=True)
    lineage["weight"] = None
    return ProvinceLayout(code, str(first["province"]), units, lineage.reset_index(drop=True))
