"""Approximate ward and district polygons generated from centroids and bounding boxes.

Used when no official boundary file has been imported. The method (`geo.boxfill`; measured
against real polygons, see `geo/validate.py`):

1. Target area per ward: the 2025 units' official areas (`wardAreaKm2`) split among the
   legacy wards that formed them (package converter, `geo.legacy_converter`); else a share
   of the ward's bounding box.
2. On a fine grid (about 50 m), a ward may only own cells inside its geocoder bounding box
   (these boxes are nearly exact). Its cost for a cell is the squared distance from its
   centroid measured in box units on each side of the centroid (so its unit ball touches
   the four sides of the box) minus a weight; "outside the city" costs 0. Weights are
   adjusted until every ward has its target area: the city outline is where no ward wants
   to grow further.
3. Enclosed holes are filled, the outline is rounded by a 1 km closing, stray fragments
   are handed to their neighbours, then the grid is turned into polygons whose shared
   edges match exactly, so the wards form a valid coverage (no gaps, no overlaps).
   Districts are the union of their wards, so every ward lies in its district and the
   districts tile the city.

Units without a bounding box fall back to the older capacity-constrained power diagram
(`power_partition`). The result is approximate and must be labelled so in the UI
(`APPROXIMATE_NOTE`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage
from scipy.spatial import cKDTree

APPROXIMATE_NOTE = {
    "vi": "Ranh giới gần đúng, sinh tự động từ tâm và khung bao của đơn vị hành chính; không phải ranh giới chính thức.",
    "en": "Approximate boundaries generated from unit centroids and bounding boxes; not official boundaries.",
}
SOURCE_LABEL = "generated:vietnamadminunits"
COLUMNS = ["code", "level", "parent_code", "name", "geometry"]
KM_PER_DEG_LAT = 110.574
# Share of its bounding box a ward covers on average (measured on the real 2025 file).
BBOX_FILL = 0.55


def _dataset_path() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).resolve().parent / "data" / "dataset.db"


def _parse_bounds(text: str | None):
    """'lat,lon – lat,lon' -> (south, west, north, east)."""
    if not isinstance(text, str) or " – " not in text.replace(" - ", " – "):
        return (np.nan,) * 4
    first, second = text.replace(" - ", " – ").split(" – ")
    la1, lo1 = map(float, first.split(","))
    la2, lo2 = map(float, second.split(","))
    return min(la1, la2), min(lo1, lo2), max(la1, la2), max(lo1, lo2)


def legacy_units(province_code: str = "79") -> pd.DataFrame:
    """The pre-2025 units of a province from the package: one row per city, district, ward.

    Columns: code, level, parent_code, name, lat, lon, south, west, north, east, area_km2
    (area is unknown for the legacy layout: NaN).
    """
    with sqlite3.connect(f"file:{_dataset_path()}?mode=ro", uri=True) as con:
        raw = pd.read_sql_query(
            "SELECT province, provinceCode, provinceLat, provinceLon, provinceBounds, district, districtCode,"
            " districtLat, districtLon, districtBounds, ward, wardCode, wardLat, wardLon, wardBounds"
            " FROM admin_units_legacy WHERE provinceCode = ? ORDER BY districtCode, wardCode",
            con,
            params=(province_code,),
        )
    if raw.empty:
        raise ValueError(f"province {province_code!r} is not in the vietnamadminunits legacy table")
    rows = []
    first = raw.iloc[0]
    rows.append(("city", province_code, None, first["province"], first["provinceLat"], first["provinceLon"], first["provinceBounds"]))
    for _, d in raw.drop_duplicates("districtCode").iterrows():
        rows.append(("district", d["districtCode"], province_code, d["district"], d["districtLat"], d["districtLon"], d["districtBounds"]))
    for _, w in raw.iterrows():
        rows.append(("ward", w["wardCode"], w["districtCode"], w["ward"], w["wardLat"], w["wardLon"], w["wardBounds"]))
    frame = pd.DataFrame(rows, columns=["level", "code", "parent_code", "name", "lat", "lon", "bounds"])
    frame[["south", "west", "north", "east"]] = pd.DataFrame(frame["bounds"].map(_parse_bounds).tolist(), index=frame.index)
    frame["area_km2"] = np.nan
    return frame.drop(columns="bounds")[["code", "level", "parent_code", "name", "lat", "lon", "south", "west", "north", "east", "area_km2"]]


def units_2025(province_code: str = "79") -> pd.DataFrame:
    """The 2025 (two-tier) units of a province: code, level, parent_code, name, lat, lon, area_km2."""
    with sqlite3.connect(f"file:{_dataset_path()}?mode=ro", uri=True) as con:
        raw = pd.read_sql_query(
            "SELECT wardCode AS code, ward AS name, wardLat AS lat, wardLon AS lon, wardAreaKm2 AS area_km2"
            " FROM admin_units WHERE provinceCode = ? ORDER BY wardCode",
            con,
            params=(province_code,),
        )
    raw["level"] = "ward"
    raw["parent_code"] = province_code
    for col in ("south", "west", "north", "east"):
        raw[col] = np.nan
    return raw[["code", "level", "parent_code", "name", "lat", "lon", "south", "west", "north", "east", "area_km2"]]


# --- the partition ----------------------------------------------------------------------


class _Grid:
    """A lon/lat grid of square-ish cells; x/y edges are exact shared coordinates."""

    def __init__(self, west, south, east, north, cell_km):
        self.lat0 = (south + north) / 2
        self.kx = KM_PER_DEG_LAT * np.cos(np.radians(self.lat0))  # km per degree of longitude
        self.ky = KM_PER_DEG_LAT
        self.dlon = cell_km / self.kx
        self.dlat = cell_km / self.ky
        self.nx = int(np.ceil((east - west) / self.dlon)) + 1
        self.ny = int(np.ceil((north - south) / self.dlat)) + 1
        self.x_edges = np.round(west + np.arange(self.nx + 1) * self.dlon, 7)
        self.y_edges = np.round(south + np.arange(self.ny + 1) * self.dlat, 7)
        self.xc = (self.x_edges[:-1] + self.x_edges[1:]) / 2
        self.yc = (self.y_edges[:-1] + self.y_edges[1:]) / 2
        self.cell_area = cell_km * cell_km

    def to_km(self, lon, lat):
        return (np.asarray(lon) - self.x_edges[0]) * self.kx, (np.asarray(lat) - self.y_edges[0]) * self.ky

    def box_mask(self, south, west, north, east, ellipse: float = 0.0):
        """Cells inside any box; with ellipse=s > 0, inside the box's inscribed ellipse scaled by s."""
        mask = np.zeros((self.ny, self.nx), dtype=bool)
        for s, w, n, e in zip(south, west, north, east):
            if ellipse > 0:
                cy, cx, ry, rx = (s + n) / 2, (w + e) / 2, ellipse * (n - s) / 2, ellipse * (e - w) / 2
                s, n, w, e = cy - ry, cy + ry, cx - rx, cx + rx
            i0, i1 = np.searchsorted(self.yc, [s, n])
            j0, j1 = np.searchsorted(self.xc, [w, e])
            if ellipse > 0 and i1 > i0 and j1 > j0:
                yy = (self.yc[i0:i1, None] - cy) / max(ry, 1e-12)
                xx = (self.xc[None, j0:j1] - cx) / max(rx, 1e-12)
                mask[i0:i1, j0:j1] |= xx**2 + yy**2 <= 1
            else:
                mask[i0:i1, j0:j1] = True
        return mask


def _disc_outline(grid: _Grid, sites_km: np.ndarray, area_km2: np.ndarray, factor: float) -> np.ndarray:
    """Cells within factor * equivalent radius of some site (outline when no bbox is known)."""
    radius = factor * np.sqrt(area_km2 / np.pi)
    gx, gy = np.meshgrid(grid.to_km(grid.xc, grid.y_edges[0])[0], grid.to_km(grid.x_edges[0], grid.yc)[1])
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    tree = cKDTree(sites_km)
    dist, idx = tree.query(pts, k=min(8, len(sites_km)))
    dist = np.atleast_2d(dist.T).T if dist.ndim == 1 else dist
    idx = idx[:, None] if idx.ndim == 1 else idx
    inside = (dist <= radius[idx]).any(axis=1)
    return inside.reshape(grid.ny, grid.nx)


def _spread_duplicates(sites: pd.DataFrame):
    """Sites sharing one centroid (a known package glitch: Quận 6, Phường 10 and 11) are
    spread across the middle of their box (or 300 m apart) so each gets its own cell."""
    lat = sites["lat"].to_numpy(float).copy()
    lon = sites["lon"].to_numpy(float).copy()
    keys = pd.Series(list(zip(np.round(lat, 5), np.round(lon, 5))))
    for _, idx in keys.groupby(keys).groups.items():
        if len(idx) < 2:
            continue
        idx = np.asarray(idx)
        row = sites.iloc[idx[0]]
        width = row.get("east", np.nan) - row.get("west", np.nan)
        height = row.get("north", np.nan) - row.get("south", np.nan)
        span = 0.5 * (width if np.isfinite(width) else 0.006)
        offsets = (np.arange(len(idx)) - (len(idx) - 1) / 2) * span / len(idx)
        if np.isfinite(height) and height > width:
            lat[idx] += offsets * (height / max(width, 1e-9)) if np.isfinite(width) else offsets
        else:
            lon[idx] += offsets
    return lat, lon


def power_partition(
    sites: pd.DataFrame,
    *,
    cell_km: float = 0.05,
    outline: str = "bbox",
    bbox_margin: float = 0.0,
    bbox_penalty: float = 300.0,
    disc_factor: float = 1.6,
    iterations: int = 60,
    neighbours: int = 16,
    outline_geometry=None,
    centroid_rate: float = 0.0,
    weight_rate: float = 1.0,
    outline_ellipse: float = 0.8,
    close_km: float = 0.3,
):
    """Label a grid with the index of the site owning each cell (-1 outside the outline).

    sites: lat, lon, target area (`area_km2`, may be NaN) and optionally a bounding box
    (south, west, north, east). Returns (labels, grid).
    """
    n = len(sites)
    has_box = sites[["south", "west", "north", "east"]].notna().all(axis=1).to_numpy()
    lat, lon = _spread_duplicates(sites)
    south = np.where(has_box, sites["south"], lat)
    north = np.where(has_box, sites["north"], lat)
    west = np.where(has_box, sites["west"], lon)
    east = np.where(has_box, sites["east"], lon)
    box_area = (north - south) * KM_PER_DEG_LAT * (east - west) * KM_PER_DEG_LAT * np.cos(np.radians(lat))
    target = sites["area_km2"].to_numpy(float).copy()
    missing = ~np.isfinite(target) | (target <= 0)
    target[missing] = BBOX_FILL * box_area[missing]
    still = ~np.isfinite(target) | (target <= 0)
    target[still] = np.nanmedian(target[~still]) if (~still).any() else 1.0

    # The area: bounding boxes (and a disc around each site without one).
    pad_lat = 0.03
    s0 = min(south.min(), lat.min()) - pad_lat
    n0 = max(north.max(), lat.max()) + pad_lat
    w0 = min(west.min(), lon.min()) - pad_lat
    e0 = max(east.max(), lon.max()) + pad_lat
    if outline == "disc":
        extra = disc_factor * np.sqrt(target.max() / np.pi) / KM_PER_DEG_LAT * 1.2
        s0, n0, w0, e0 = s0 - extra, n0 + extra, w0 - extra, e0 + extra
    grid = _Grid(w0, s0, e0, n0, cell_km)
    sx, sy = grid.to_km(lon, lat)
    sites_km = np.column_stack([sx, sy])
    if outline == "bbox" and has_box.any():
        region = grid.box_mask(south[has_box], west[has_box], north[has_box], east[has_box], ellipse=outline_ellipse)
        if (~has_box).any():
            region |= _disc_outline(grid, sites_km[~has_box], target[~has_box], disc_factor)
    else:
        region = _disc_outline(grid, sites_km, target, disc_factor)
    if outline_geometry is not None:
        gx, gy = np.meshgrid(grid.xc, grid.yc)
        region = shapely.contains_xy(outline_geometry, gx, gy)
    elif close_km > 0:
        # Close narrow gaps between neighbouring ellipses and fill enclosed holes.
        steps = max(1, int(round(close_km / cell_km)))
        region = ndimage.binary_closing(np.pad(region, steps), iterations=steps)[steps:-steps, steps:-steps]
        region = ndimage.binary_fill_holes(region)
    # Every site owns at least the cell it sits in.
    si = np.clip(np.searchsorted(grid.y_edges, lat) - 1, 0, grid.ny - 1)
    sj = np.clip(np.searchsorted(grid.x_edges, lon) - 1, 0, grid.nx - 1)
    region[si, sj] = True

    flat = np.flatnonzero(region.ravel())
    ii, jj = np.divmod(flat, grid.nx)
    px = (grid.xc[jj] - grid.x_edges[0]) * grid.kx
    py = (grid.yc[ii] - grid.y_edges[0]) * grid.ky
    k = min(neighbours, n)
    _, cand = cKDTree(sites_km).query(np.column_stack([px, py]), k=k)
    cand = cand.reshape(len(flat), k)
    penalty = 0.0
    if has_box.any():
        # Squared distance (km) to the site's expanded box; zero inside it.
        mlat = bbox_margin * (north - south) + 0.2 / KM_PER_DEG_LAT
        mlon = bbox_margin * (east - west) + 0.2 / grid.kx
        bx0, bx1 = grid.to_km(west - mlon, 0)[0], grid.to_km(east + mlon, 0)[0]
        by0, by1 = grid.to_km(0, south - mlat)[1], grid.to_km(0, north + mlat)[1]
        ox = np.maximum(0, np.maximum(bx0[cand] - px[:, None], px[:, None] - bx1[cand]))
        oy = np.maximum(0, np.maximum(by0[cand] - py[:, None], py[:, None] - by1[cand]))
        penalty = bbox_penalty * np.where(has_box[cand], ox**2 + oy**2, 0.0)
    region_area = len(flat) * grid.cell_area
    target = target * region_area / target.sum()
    weights = np.zeros(n)
    gx, gy = sx.copy(), sy.copy()  # generators: moved so each cell's centroid nears its site
    rows = np.arange(len(flat))
    for step in range(iterations):
        cost = (px[:, None] - gx[cand]) ** 2 + (py[:, None] - gy[cand]) ** 2 + penalty - weights[cand]
        owner = cand[rows, np.argmin(cost, axis=1)]
        count = np.bincount(owner, minlength=n)
        area = count * grid.cell_area
        rate = weight_rate * (1.0 if step < iterations * 0.7 else 0.5)
        weights += rate * (target - area) / np.pi
        if centroid_rate > 0:
            safe = np.maximum(count, 1)
            cx = np.bincount(owner, weights=px, minlength=n) / safe
            cy = np.bincount(owner, weights=py, minlength=n) / safe
            has = count > 0
            gx[has] += centroid_rate * (sx[has] - cx[has])
            gy[has] += centroid_rate * (sy[has] - cy[has])
    cost = (px[:, None] - gx[cand]) ** 2 + (py[:, None] - gy[cand]) ** 2 + penalty - weights[cand]
    owner = cand[rows, np.argmin(cost, axis=1)]
    labels = np.full((grid.ny, grid.nx), -1, dtype=np.int32)
    labels.ravel()[flat] = owner
    # A site squeezed out by big neighbours (e.g. a wrong, tiny package bbox) gets a disc of
    # its target area around its centroid, so every unit stays visible and clickable.
    count = np.bincount(owner, minlength=n) * grid.cell_area
    for site in np.flatnonzero(count < 0.3 * target):
        radius = np.sqrt(target[site] / np.pi)
        disc = (px - sx[site]) ** 2 + (py - sy[site]) ** 2 <= radius**2
        labels.ravel()[flat[disc]] = site
    labels = _clean_fragments(labels, region, si, sj)
    return labels, grid


def _clean_fragments(labels: np.ndarray, region: np.ndarray, si, sj) -> np.ndarray:
    """Keep each site's largest piece; give stray pieces to the nearest other piece.

    A site left with no cell at all gets the cell it sits in, so every unit has a polygon.
    """
    n = len(si)
    labels = labels.copy()
    objects = ndimage.find_objects(labels + 1)
    for site, window in enumerate(objects[:n]):
        if window is None:
            continue
        mask = labels[window] == site
        comp, count = ndimage.label(mask)
        if count <= 1:
            continue
        sizes = np.bincount(comp.ravel())
        keep = (
            comp[si[site] - window[0].start, sj[site] - window[1].start]
            if (window[0].start <= si[site] < window[0].stop and window[1].start <= sj[site] < window[1].stop)
            else 0
        )
        if keep == 0 or sizes[keep] < 0.3 * sizes[1:].sum():
            keep = np.argmax(sizes[1:]) + 1
        sub = labels[window]
        sub[(comp != keep) & mask] = -2
    stray = labels == -2
    if stray.any():
        known = labels >= 0
        _, (ni, nj) = ndimage.distance_transform_edt(~known, return_indices=True)
        labels[stray] = labels[ni[stray], nj[stray]]
    labels[~region] = -1
    present = np.bincount(labels[labels >= 0], minlength=n) > 0
    for site in np.flatnonzero(~present):
        labels[si[site], sj[site]] = site
    return labels


def labels_to_polygons(labels: np.ndarray, grid: _Grid, n: int) -> list:
    """Polygons whose shared edges match exactly: polygonize the edges between labels."""
    padded = np.pad(labels, 1, constant_values=-1)
    segments = []
    xe = np.concatenate([[grid.x_edges[0]], grid.x_edges, [grid.x_edges[-1]]])
    ye = np.concatenate([[grid.y_edges[0]], grid.y_edges, [grid.y_edges[-1]]])
    # padded cell (r, c) spans x_edges[c-1]..x_edges[c]; use the grid edges directly.
    # Horizontal edges: between padded rows r-1 and r, at y = y_edges[r-1].
    diff_h = padded[1:, :] != padded[:-1, :]  # shape (ny+1, nx+2)
    for r in range(diff_h.shape[0]):
        row = diff_h[r]
        if not row.any():
            continue
        key = np.where(row, padded[r] * 100003 + padded[r + 1], -(10**12))
        change = np.flatnonzero(np.diff(np.concatenate([[-(10**12) - 1], key, [-(10**12) - 1]])) != 0)
        for a, b in zip(change[:-1], change[1:]):
            if row[a]:
                y = grid.y_edges[r]
                segments.append(((grid.x_edges[a - 1], y), (grid.x_edges[b - 1], y)))
    diff_v = padded[:, 1:] != padded[:, :-1]  # shape (ny+2, nx+1)
    for c in range(diff_v.shape[1]):
        col = diff_v[:, c]
        if not col.any():
            continue
        key = np.where(col, padded[:, c] * 100003 + padded[:, c + 1], -(10**12))
        change = np.flatnonzero(np.diff(np.concatenate([[-(10**12) - 1], key, [-(10**12) - 1]])) != 0)
        for a, b in zip(change[:-1], change[1:]):
            if col[a]:
                x = grid.x_edges[c]
                segments.append(((x, grid.y_edges[a - 1]), (x, grid.y_edges[b - 1])))
    del xe, ye
    noded = shapely.node(shapely.multilinestrings(segments))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    reps = shapely.point_on_surface(faces)
    fx, fy = shapely.get_x(reps), shapely.get_y(reps)
    fj = np.clip(np.searchsorted(grid.x_edges, fx) - 1, 0, grid.nx - 1)
    fi = np.clip(np.searchsorted(grid.y_edges, fy) - 1, 0, grid.ny - 1)
    owner = labels[fi, fj]
    polys = []
    for site in range(n):
        parts = faces[owner == site]
        if len(parts) == 0:
            polys.append(None)
        elif len(parts) == 1:
            polys.append(parts[0])
        else:
            polys.append(shapely.multipolygons(list(parts)))
    return polys


def _targets(sites: pd.DataFrame, box_area: np.ndarray) -> np.ndarray:
    target = sites["area_km2"].to_numpy(float).copy()
    missing = ~np.isfinite(target) | (target <= 0)
    target[missing] = BBOX_FILL * box_area[missing]
    still = ~np.isfinite(target) | (target <= 0)
    target[still] = np.nanmedian(target[~still]) if (~still).any() else 1.0
    return target


def box_fill_partition(sites: pd.DataFrame, *, cell_km: float = 0.05, iterations: int = 40, power: float = 2.0, smooth_km: float = 1.0, **_ignored):
    """Label a grid with the site owning each cell (-1 outside): see `geo.boxfill`.

    Every site needs a bounding box (south, west, north, east); target area `area_km2`
    (NaN: `BBOX_FILL` x its box). Returns (labels, grid).
    """
    from geo.boxfill import box_partition, fill_holes, smooth_outline

    lat, lon = _spread_duplicates(sites)
    south, west = sites["south"].to_numpy(float), sites["west"].to_numpy(float)
    north, east = sites["north"].to_numpy(float), sites["east"].to_numpy(float)
    # Degenerate boxes (a point or a line): at least 100 m around the centroid.
    half = 0.05 / KM_PER_DEG_LAT
    south, north = np.minimum(south, lat - half * (north - south < 2 * half)), np.maximum(north, lat + half * (north - south < 2 * half))
    west, east = np.minimum(west, lon - half * (east - west < 2 * half)), np.maximum(east, lon + half * (east - west < 2 * half))
    box_area = (north - south) * KM_PER_DEG_LAT * (east - west) * KM_PER_DEG_LAT * np.cos(np.radians(lat))
    target = _targets(sites, box_area)
    pad = 2 * cell_km / KM_PER_DEG_LAT
    grid = _Grid(west.min() - pad, south.min() - pad, east.max() + pad, north.max() + pad, cell_km)
    labels = box_partition(grid, lon, lat, south, west, north, east, target, iterations=iterations, power=power)
    labels = smooth_outline(fill_holes(labels), cell_km, smooth_km)
    si = np.clip(np.searchsorted(grid.y_edges, lat) - 1, 0, grid.ny - 1)
    sj = np.clip(np.searchsorted(grid.x_edges, lon) - 1, 0, grid.nx - 1)
    region = labels >= 0
    labels = _clean_fragments(labels, region, si, sj)
    return labels, grid


def partition_polygons(sites: pd.DataFrame, *, method: str = "auto", **options) -> list:
    """One polygon per site row.

    method: "box" (`box_fill_partition`, needs every bounding box), "power"
    (`power_partition`, the older method, works from centroids alone); "auto": "box" when
    every site has a bounding box and the outline option is not "disc".
    """
    has_box = sites[["south", "west", "north", "east"]].notna().all(axis=1).all()
    if method == "auto":
        method = "box" if has_box and options.get("outline", "bbox") == "bbox" else "power"
    if method == "box":
        labels, grid = box_fill_partition(sites, **options)
    else:
        labels, grid = power_partition(sites, **options)
    return labels_to_polygons(labels, grid, len(sites))


def _legacy_area_estimates(province_code: str) -> pd.Series:
    """Legacy ward areas estimated from the 2025 official areas (empty when unavailable)."""
    from geo.legacy_converter import legacy_area_estimates

    try:
        return legacy_area_estimates(province_code)
    except (KeyError, StopIteration, ValueError):
        return pd.Series(dtype=float)


def build_generated_boundaries(
    units: pd.DataFrame | None = None, *, province_code: str = "79", cell_km: float = 0.05, legacy_boxes: bool = True
) -> gpd.GeoDataFrame:
    """Approximate polygons for every ward and district (and the city) of the demo geography.

    units: a frame with code, level, parent_code, name, lat, lon (e.g. the `units` table);
    missing bounding boxes and centroids are filled from the package's former layout by code
    (not with `legacy_boxes=False`: units of the current layout, whose reused codes would get
    a former ward's box). None: the package's legacy layout of `province_code` (HCMC: 22
    districts, 273 wards).
    Returns a GeoDataFrame [code, level, parent_code, name, geometry] in EPSG:4326 whose
    wards form a valid coverage, and whose districts (and city) are unions of their wards.
    """
    package = legacy_units(province_code)
    if units is None:
        frame = package
    else:
        frame = units[[c for c in units.columns if c in package.columns]].copy()
        frame["code"] = frame["code"].astype(str)
        extra = package.set_index("code")
        for col in ("lat", "lon", "south", "west", "north", "east", "area_km2"):
            known = frame[col] if col in frame else pd.Series(np.nan, index=frame.index)
            filled = legacy_boxes or col in ("lat", "lon")
            frame[col] = known.fillna(frame["code"].map(extra[col])) if filled else known.astype(float)
    wards = frame[frame["level"] == "ward"].reset_index(drop=True)
    missing = wards[wards[["lat", "lon"]].isna().any(axis=1)]
    if not missing.empty:
        raise ValueError(f"wards without a centroid, cannot generate boundaries: {', '.join(missing['code'])}")
    if wards["area_km2"].isna().any():
        wards["area_km2"] = wards["area_km2"].fillna(wards["code"].map(_legacy_area_estimates(province_code)))
    polys = partition_polygons(wards, cell_km=cell_km)
    out = gpd.GeoDataFrame(
        {
            "code": wards["code"].astype(str),
            "level": "ward",
            "parent_code": wards["parent_code"],
            "name": wards["name"],
        },
        geometry=polys,
        crs="EPSG:4326",
    )
    parents = frame.set_index("code")
    rows = [out]
    # Dissolve upwards, level by level, walking the parent links (no fixed number of tiers).
    current = out
    while True:
        parent_codes = current["parent_code"].dropna().unique()
        parent_codes = [c for c in parent_codes if c in parents.index]
        if not parent_codes:
            break
        dissolved = []
        for code in parent_codes:
            geom = shapely.coverage_union_all(current.loc[current["parent_code"] == code].geometry.to_numpy())
            info = parents.loc[code]
            dissolved.append((code, info["level"], info["parent_code"], info["name"], geom))
        current = gpd.GeoDataFrame(dissolved, columns=COLUMNS, geometry="geometry", crs="EPSG:4326")
        rows.append(current)
    result = pd.concat(rows, ignore_index=True)
    return gpd.GeoDataFrame(result[COLUMNS], geometry="geometry", crs="EPSG:4326")


def store_default_boundaries(engine) -> int:
    """Generate approximate boundaries for the units in the database, simplify, and store them.

    A database holding both layouts (units with validity dates) has each layout generated on
    its own, and only when some of its wards would have no better boundary when read
    (geo.boundaries: an imported or shipped one, or for former units one cut from
    the real polygons of the units they became).
    """
    from data_access.queries import load_units
    from geo.boundaries import save_boundaries
    from geo.simplify import simplify_levels

    units = load_units(engine)
    cities = units.loc[(units["level"] == "city") & units.get("valid_to", pd.Series(None, index=units.index)).isna(), "code"].tolist()
    city = cities[0] if cities else "79"
    if units.empty or "valid_to" not in units or units["valid_to"].isna().all():
        generated = build_generated_boundaries(units if not units.empty else None, province_code=city)
        return save_boundaries(engine, simplify_levels(generated), source=SOURCE_LABEL, approximate=True)
    return sum(save_boundaries(engine, simplify_levels(layer), source=SOURCE_LABEL, approximate=True) for layer in _generated_layouts(engine, units, city))


def _generated_layouts(engine, units: pd.DataFrame, city: str) -> list[gpd.GeoDataFrame]:
    """Generated boundaries of each layout (current, former) some of whose wards have no better one."""
    from geo.boundaries import load_boundaries
    from geo.former import SOURCE_LABEL as FORMER

    best = load_boundaries(engine)
    covered = set(best.loc[~best["approximate"].astype(bool) | (best["source"] == FORMER), "code"])
    ended = units["valid_to"].notna()
    lasting = units[~ended & units["level"].isin(["city"])]  # a city in force in both eras belongs to both
    layers = []
    for era, current in ((units[~ended], True), (pd.concat([units[ended], lasting]), False)):
        wards = era[era["level"] == "ward"]
        if wards.empty or wards["code"].isin(covered).all():
            continue
        # The package knows units by official code: generate by code, store by key.
        key_of = dict(zip(era["gso_code"].astype(str), era["code"]))
        gso_of = dict(zip(era["code"], era["gso_code"].astype(str)))
        frame = era[era["level"].isin(["city", "district", "ward"])].copy()
        frame["code"], frame["parent_code"] = frame["code"].map(gso_of), frame["parent_code"].map(gso_of)
        generated = build_generated_boundaries(frame, province_code=city, legacy_boxes=not current)
        generated["code"] = generated["code"].map(key_of)
        layers.append(generated[generated["code"].notna()].drop_duplicates("code"))
    return layers
