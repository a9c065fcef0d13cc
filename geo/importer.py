"""Bring your own boundaries: read a file, repair it, match its features to units.

Any format and CRS geopandas/pyogrio reads (GeoJSON, GeoPackage, Shapefile ...) is
reprojected to EPSG:4326. Features match units by code first, else by normalised
Vietnamese name within the parent. A file that matches fewer than `min_match` of the
units is refused with a message saying why; nothing is written then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from domain.units import versions_on
from geo.names import normalise_name
from domain.errors import UserFacingError

CODE_FIELDS = (
    "code",
    "ma",
    "ma_dvhc",
    "madvhc",
    "ma_xa",
    "maxa",
    "ma_huyen",
    "mahuyen",
    "ward_code",
    "wardcode",
    "district_code",
    "districtcode",
    "gso_code",
    "unit_code",
    "id",
)
NAME_FIELDS = ("name", "ten", "ten_dvhc", "ten_xa", "tenxa", "ten_huyen", "tenhuyen", "ward", "ward_name", "district", "district_name", "name_vi", "unit_name")
PARENT_FIELDS = ("parent_code", "parent", "ma_tinh", "matinh", "province_code", "ma_huyen_cha", "district_code", "parent_name")


class ImportRefused(UserFacingError):
    """The file cannot be imported; str() says why, `.report` holds the matching report."""

    vi = "Không nạp được tệp ranh giới; không có gì được ghi."
    en = "The boundary file cannot be imported; nothing was written."

    def __init__(self, message: str, report: MatchReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class MatchReport:
    level: str
    units_total: int
    features_total: int
    matched_by_code: list = field(default_factory=list)  # unit codes
    matched_by_name: list = field(default_factory=list)  # unit codes
    units_without_feature: list = field(default_factory=list)  # (code, name)
    features_without_unit: list = field(default_factory=list)  # (feature index, code, name, reason)
    repaired: list = field(default_factory=list)  # (feature index, what was done)
    fields: dict = field(default_factory=dict)  # which file fields were used
    source_crs: str = ""

    @property
    def matched(self) -> int:
        return len(self.matched_by_code) + len(self.matched_by_name)

    @property
    def share(self) -> float:
        return self.matched / self.units_total if self.units_total else 0.0

    def text(self, limit: int = 15) -> str:
        lines = [
            f"Level: {self.level}; file CRS: {self.source_crs or 'none (assumed EPSG:4326)'}; fields: "
            + ", ".join(f"{k}={v}" for k, v in self.fields.items() if v),
            f"Units: {self.units_total}; features: {self.features_total}",
            f"Matched: {self.matched} of {self.units_total} units ({self.share:.0%}): {len(self.matched_by_code)} by code, {len(self.matched_by_name)} by name",
        ]
        if self.repaired:
            lines.append(f"Repaired geometries: {len(self.repaired)}")
            lines += [f"  feature {i}: {what}" for i, what in self.repaired[:limit]]
        if self.units_without_feature:
            lines.append(f"Units with no feature: {len(self.units_without_feature)}")
            lines += [f"  {code} {name}" for code, name in self.units_without_feature[:limit]]
            if len(self.units_without_feature) > limit:
                lines.append(f"  ... and {len(self.units_without_feature) - limit} more")
        if self.features_without_unit:
            lines.append(f"Features with no unit: {len(self.features_without_unit)}")
            lines += [f"  feature {i}: code={c!r} name={n!r} ({why})" for i, c, n, why in self.features_without_unit[:limit]]
            if len(self.features_without_unit) > limit:
                lines.append(f"  ... and {len(self.features_without_unit) - limit} more")
        return "\n".join(lines)


def read_boundary_file(path, layer=None) -> tuple[gpd.GeoDataFrame, str]:
    """The file's features in EPSG:4326 and its original CRS text. Refuses non-geo files."""
    path = Path(path)
    if not path.exists():
        raise ImportRefused(f"File not found: {path}")
    try:
        gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ImportRefused(f"Not a readable boundary file (GeoJSON, GeoPackage or Shapefile): {path.name}: {exc}") from exc
    if "geometry" not in gdf or gdf.geometry.isna().all() or len(gdf) == 0:
        raise ImportRefused(f"The file has no geometries: {path.name}")
    source_crs = gdf.crs.to_string() if gdf.crs is not None else ""
    if gdf.crs is None:
        x0, y0, x1, y1 = gdf.total_bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise ImportRefused(f"The file has no CRS and its coordinates are not longitude/latitude: {path.name}")
        gdf = gdf.set_crs(4326)
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf, source_crs


def repair_geometries(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list]:
    """Make every geometry a valid (Multi)Polygon; returns the frame and what was repaired."""
    repaired = []
    geoms = []
    for i, geom in enumerate(gdf.geometry):
        if geom is None or geom.is_empty:
            repaired.append((i, "empty geometry, dropped"))
            geoms.append(None)
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = shapely.make_valid(geom)
            repaired.append((i, f"invalid ({reason}), repaired with make_valid"))
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
            geom = shapely.union_all(polys) if polys else None
            if geom is None or geom.is_empty:
                repaired.append((i, "no polygon in the geometry, dropped"))
                geom = None
        geoms.append(geom)
    out = gdf.copy()
    out["geometry"] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out, repaired


def _pick_field(gdf: gpd.GeoDataFrame, given: str | None, candidates) -> str | None:
    if given:
        if given not in gdf.columns:
            raise ImportRefused(f"Field {given!r} is not in the file; fields: {', '.join(c for c in gdf.columns if c != 'geometry')}")
        return given
    lower = {c.lower(): c for c in gdf.columns if c != "geometry"}
    for name in candidates:
        if name in lower:
            return lower[name]
    return None


def _clean_code(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text or None


def match_features(
    gdf: gpd.GeoDataFrame,
    units: pd.DataFrame,
    level: str,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    parents: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, MatchReport]:
    """Match features to the units of a level. Returns ([code, geometry] per matched unit, report).

    units: code, name, level, parent_code of the candidate units. parents: code, name of the
    parent units (to match a parent field holding names); optional.
    """
    units = units[units["level"] == level].copy()
    units["code"] = units["code"].astype(str)
    code_field = _pick_field(gdf, code_field, CODE_FIELDS)
    name_field = _pick_field(gdf, name_field, NAME_FIELDS)
    parent_field = _pick_field(gdf, parent_field, PARENT_FIELDS)
    if code_field is None and name_field is None:
        raise ImportRefused(
            "No code or name field found; name them with --code-field / --name-field. Fields: " + ", ".join(c for c in gdf.columns if c != "geometry")
        )
    report = MatchReport(level=level, units_total=len(units), features_total=len(gdf), fields={"code": code_field, "name": name_field, "parent": parent_field})
    width = units["code"].str.len().mode()
    width = int(width.iloc[0]) if len(width) and units["code"].str.isdigit().all() else 0
    by_code = set(units["code"])
    parent_keys: dict[str, set] = {}
    for code, parent in zip(units["code"], units["parent_code"]):
        keys = {str(parent)} if parent is not None else set()
        if parents is not None and parent is not None:
            pname = parents.loc[parents["code"].astype(str) == str(parent), "name"]
            if len(pname):
                keys.add(normalise_name(pname.iloc[0]))
        parent_keys[code] = keys
    accented = {c: normalise_name(n, keep_diacritics=True) for c, n in zip(units["code"], units["name"])}
    name_index: dict[str, list] = {}
    for code, name in zip(units["code"], units["name"]):
        name_index.setdefault(normalise_name(name), []).append(code)

    owner: dict[int, str] = {}
    how: dict[str, str] = {}
    for i, row in enumerate(gdf.itertuples(index=False)):
        values = row._asdict()
        code = _clean_code(values.get(code_field)) if code_field else None
        if code and width and code.isdigit():
            code = code.zfill(width)
        name = values.get(name_field) if name_field else None
        if code and code in by_code:
            owner[i] = code
            how.setdefault(code, "code")
            continue
        key = normalise_name(name) if name else ""
        candidates = name_index.get(key, []) if key else []
        if len(candidates) > 1:
            exact = [c for c in candidates if accented[c] == normalise_name(name, keep_diacritics=True)]
            candidates = exact or candidates
        if parent_field and len(candidates) > 1:
            pval = values.get(parent_field)
            pkeys = {_clean_code(pval) or "", normalise_name(pval)} if pval is not None else set()
            pkeys |= {k.zfill(3) for k in pkeys if k.isdigit()}
            candidates = [c for c in candidates if parent_keys[c] & pkeys]
        if len(candidates) == 1:
            owner[i] = candidates[0]
            how.setdefault(candidates[0], "name")
        else:
            reason = "name matches several units (give a parent field)" if len(candidates) > 1 else ("code and name not found" if code else "name not found")
            report.features_without_unit.append((i, code, name, reason))

    matched = pd.DataFrame({"code": list(owner.values())}, index=list(owner.keys()))
    geoms = gdf.geometry.reset_index(drop=True)
    rows = []
    for code, idx in matched.groupby("code").groups.items():
        parts = [g for g in geoms.iloc[list(idx)] if g is not None]
        if parts:
            rows.append((code, shapely.union_all(parts) if len(parts) > 1 else parts[0]))
    result = gpd.GeoDataFrame(rows, columns=["code", "geometry"], geometry="geometry", crs="EPSG:4326")
    got = set(result["code"])
    report.matched_by_code = sorted(c for c in got if how.get(c) == "code")
    report.matched_by_name = sorted(c for c in got if how.get(c) == "name")
    report.units_without_feature = [(c, n) for c, n in zip(units["code"], units["name"]) if c not in got]
    return result, report


def prepare_import(
    path,
    units: pd.DataFrame,
    level: str,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    min_match: float = 0.9,
    layer: str | None = None,
    on: date | None = None,
) -> tuple[gpd.GeoDataFrame, MatchReport]:
    """Read, repair and match a file; raise ImportRefused if too few units match.

    units: all units (code, name, level, parent_code; gso_code, valid_from, valid_to when
    known). Only the units in force on `on` (default today) are candidates: a file holds one
    layout, and official codes are reused across layouts, so features match by official code
    and are stored under the key of the version in force. Nothing is written here.
    """
    gdf, source_crs = read_boundary_file(path, layer)
    gdf, repaired = repair_geometries(gdf)
    parents = units[["code", "name"]]
    present = versions_on(units, on or date.today())
    official = present["gso_code"].fillna(present["code"]) if "gso_code" in present else present["code"]
    key_of = dict(zip(official.astype(str), present["code"].astype(str)))
    matched, report = match_features(
        gdf, present.assign(code=official), level, code_field=code_field, name_field=name_field, parent_field=parent_field, parents=parents
    )
    matched["code"] = matched["code"].map(key_of)
    report.repaired = repaired
    report.source_crs = source_crs
    if report.units_total == 0:
        raise ImportRefused(f"There are no units of level {level!r} in the database to match.", report)
    if report.share < min_match:
        raise ImportRefused(
            f"Refused: only {report.matched} of {report.units_total} {level} units ({report.share:.0%}) match a "
            f"feature of the file, below the minimum {min_match:.0%}. Check --level, or name the fields with "
            f"--code-field / --name-field / --parent-field. The database was not changed.",
            report,
        )
    return matched, report


def import_boundaries(engine, path, level: str, *, min_match: float = 0.9, on: date | None = None, **fields) -> MatchReport:
    """Read, match, simplify and store a file's boundaries (approximate=False), atomically.
    `on`: a day the file's layout was in force (default today)."""
    from data_access.queries import load_units
    from geo.boundaries import save_boundaries
    from geo.simplify import DEFAULT_BUDGET_BYTES, simplify_to_budget

    units = load_units(engine)
    matched, report = prepare_import(path, units, level, min_match=min_match, on=on, **fields)
    budget = DEFAULT_BUDGET_BYTES if level == "ward" else 60_000
    try:
        simplified, _ = simplify_to_budget(matched, budget)
    except Exception:  # not a clean coverage (overlapping features): simplify each on its own
        simplified = matched.copy()
        simplified["geometry"] = matched.geometry.simplify(0.0003, preserve_topology=True)
    save_boundaries(engine, simplified, source=f"file:{Path(path).name}", approximate=False)
    return report
