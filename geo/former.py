"""Approximate boundaries of former units, cut from the real polygons of the units they became.

There is no licensed boundary file of the layout before July 2025, but the crosswalk says
which new units each former ward went into (whole or in part), and the new units have real
polygons. So inside each new unit, the former wards that went into it share its polygon by
Voronoi cells of their centroids (nearest centroid wins); a former ward is the union of its
cells over every new unit it went into, a former district the union of its wards. The
former layout then tiles exactly the same city as today's map, with the same outline, and
is labelled approximate (`APPROXIMATE_NOTE`).

Pure: frames in, a GeoDataFrame out (geo/boundaries.py reads and caches).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from geo.simplify import PRECISION

APPROXIMATE_NOTE = {
    "vi": "Ranh giới các đơn vị cũ là gần đúng: chia từ ranh giới năm 2025 của các đơn vị mới theo tâm của đơn vị cũ; không phải ranh giới chính thức.",
    "en": "Boundaries of the former units are approximate: cut from the 2025 boundaries of the new units "
    "by the former units' centroids; not official boundaries.",
}
SOURCE_LABEL = "derived:2025-polygons+crosswalk"
# Centroids closer than this (degrees, about 10 m) are spread apart so each gets a cell.
_SAME_POINT = 1e-4


def _cells(polygon, points: np.ndarray) -> list:
    """Split `polygon` among `points` (n x 2 lon/lat) by nearest point; one piece per point."""
    if len(points) == 1:
        return [polygon]
    points = points.astype(float).copy()
    # A centroid outside the polygon (package centroids are rough, and a ward split in part
    # lies mostly elsewhere) stands at the nearest point of the polygon, so it still gets
    # the side of the polygon that faces it.
    inside = shapely.contains_xy(polygon, points[:, 0], points[:, 1])
    if not inside.all():
        centre = polygon.point_on_surface()
        for i in np.flatnonzero(~inside):
            edge = shapely.ops.nearest_points(polygon, shapely.Point(points[i]))[0]
            points[i] = (0.99 * edge.x + 0.01 * centre.x, 0.99 * edge.y + 0.01 * centre.y)
    # Equal centroids (a package glitch) would share one cell: spread them a little.
    for i in range(1, len(points)):
        while np.any(np.hypot(*(points[:i] - points[i]).T) < _SAME_POINT):
            points[i] += (_SAME_POINT * (1 + i % 3), _SAME_POINT * (i % 2))
    x0, y0, x1, y1 = polygon.bounds
    px0, py0 = points.min(axis=0)
    px1, py1 = points.max(axis=0)
    frame = shapely.box(min(x0, px0) - 0.1, min(y0, py0) - 0.1, max(x1, px1) + 0.1, max(y1, py1) + 0.1)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True)
    cells = list(shapely.get_parts(diagram))
    return [shapely.make_valid(shapely.intersection(polygon, cell)) for cell in cells]


def _polygonal(geom):
    """Only the polygon parts of a geometry (an intersection may add slivers of lines)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    return shapely.union_all(parts) if parts else None


def former_boundaries(units: pd.DataFrame, lineage: pd.DataFrame, new_polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Approximate polygons of former units: [code, geometry], EPSG:4326.

    units: code, parent_code, lat, lon, valid_to of every unit. lineage: old_code, new_code.
    new_polygons: code, geometry of new units with real boundaries. A former unit gets a
    polygon when it has no children (a ward, or a district without wards such as Côn Đảo)
    and went into at least one new unit with a polygon, or when it is an ended unit above
    such units (a district, a merged province): the union of its children's polygons.
    """
    units = units.copy()
    units["code"] = units["code"].astype(str)
    ended = set(units.loc[units["valid_to"].notna(), "code"])
    has_children = set(units["parent_code"].dropna().astype(str))
    leaves = ended - has_children
    shape_of = dict(zip(new_polygons["code"].astype(str), new_polygons.geometry))
    links = lineage[lineage["old_code"].astype(str).isin(leaves) & lineage["new_code"].astype(str).isin(shape_of.keys())]
    centroid = units.set_index("code")[["lon", "lat"]]
    pieces: dict[str, list] = {}
    for new_code, group in links.groupby("new_code", sort=True):
        olds = [c for c in dict.fromkeys(group["old_code"].astype(str)) if centroid.loc[c].notna().all()]
        if not olds:
            continue
        for old, piece in zip(olds, _cells(shape_of[str(new_code)], centroid.loc[olds].to_numpy())):
            piece = _polygonal(piece)
            if piece is not None:
                pieces.setdefault(old, []).append(piece)
    shapes = {code: shapely.union_all(parts) if len(parts) > 1 else parts[0] for code, parts in pieces.items()}
    # Each ended unit above them (a district, a merged province) is the union of the leaves
    # below it; a unit in force in both eras (the city) keeps its own boundary.
    parent_of = dict(zip(units["code"], units["parent_code"]))
    below: dict[str, list] = {}
    for code in list(shapes):
        parent, seen = parent_of.get(code), set()
        while parent is not None and not pd.isna(parent) and str(parent) in ended and parent not in seen:
            seen.add(parent)
            below.setdefault(str(parent), []).append(shapes[code])
            parent = parent_of.get(str(parent))
    shapes |= {code: shapely.union_all(parts) for code, parts in below.items()}
    codes = sorted(shapes)
    # On the grid of the GeoJSON sent to the browser (5 decimals), so rounding keeps them valid.
    geoms = shapely.set_precision(np.array([shapes[c] for c in codes], dtype=object), 10.0**-PRECISION)
    return gpd.GeoDataFrame({"code": codes}, geometry=list(geoms), crs="EPSG:4326")
