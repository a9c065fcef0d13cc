"""Box-constrained, area-constrained partition of a grid among sites with bounding boxes.

Each site (ward) has a centroid, a bounding box and a target area. A real polygon lies
inside its bounding box and touches its four sides, so:

- a site may only own cells inside its own box (hard constraint);
- within its box, a site's "distance" to a cell is measured in box units, separately on
  each side of the centroid: ``dx = (x - cx) / (east - cx)`` right of the centroid,
  ``(cx - x) / (cx - west)`` left of it (and the same vertically). The unit ball
  ``dx^2 + dy^2 <= 1`` is four quarter-ellipses that touch the four sides of the box;
- cell cost for site i: ``dx^2 + dy^2 - w_i``; a cell goes to the cheapest site, or stays
  outside the city when every cost is positive. The weights ``w_i`` are adjusted until
  every site owns its target area: sites grow from their centroids towards the sides of
  their boxes, compete where boxes overlap, and the city outline is where no site wants
  to grow further (the total target area is the city's area).

Only parameter beyond the data: the number of weight iterations.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def box_partition(grid, lon, lat, south, west, north, east, target, *, iterations: int = 40, power: float = 2.0):
    """Labels (ny, nx) int32: site index per cell, -1 outside. All inputs are arrays per site.

    grid: a `geo.generated._Grid` covering every box. target: km^2 per site (finite, > 0).
    """
    n = len(lon)
    cell = grid.cell_area
    # Box index ranges (cells whose centre lies in the box; at least one cell).
    i0 = np.searchsorted(grid.yc, south)
    i1 = np.maximum(np.searchsorted(grid.yc, north), i0 + 1)
    j0 = np.searchsorted(grid.xc, west)
    j1 = np.maximum(np.searchsorted(grid.xc, east), j0 + 1)
    i0, j0 = np.minimum(i0, grid.ny - 1), np.minimum(j0, grid.nx - 1)
    i1, j1 = np.minimum(i1, grid.ny), np.minimum(j1, grid.nx)
    # Centroid clipped into its box (a few geocoder centroids fall just outside).
    cx = np.clip(lon, west, east)
    cy = np.clip(lat, south, north)
    tiny = 1e-9
    metric = []
    for k in range(n):
        xs = grid.xc[j0[k] : j1[k]]
        ys = grid.yc[i0[k] : i1[k]]
        dx = np.where(xs >= cx[k], (xs - cx[k]) / max(east[k] - cx[k], tiny), (cx[k] - xs) / max(cx[k] - west[k], tiny))
        dy = np.where(ys >= cy[k], (ys - cy[k]) / max(north[k] - cy[k], tiny), (cy[k] - ys) / max(cy[k] - south[k], tiny))
        dx = np.minimum(dx, 1.0)
        dy = np.minimum(dy, 1.0)
        metric.append((dy[:, None] ** power + dx[None, :] ** power).astype(np.float32))
    box_cells = np.array([m.size for m in metric], dtype=float)
    # Start at the inscribed quarter-ellipses scaled to the target area.
    weights = np.clip(target / np.maximum(box_cells * cell * np.pi / 4, tiny), 0.05, 2.0)
    labels = np.full((grid.ny, grid.nx), -1, dtype=np.int32)
    best = np.zeros((grid.ny, grid.nx), dtype=np.float32)
    for step in range(iterations + 1):
        best.fill(0.0)  # the "outside" option costs 0
        labels.fill(-1)
        for k in range(n):
            view = (slice(i0[k], i1[k]), slice(j0[k], j1[k]))
            cost = metric[k] - np.float32(weights[k])
            better = cost < best[view]
            best[view] = np.where(better, cost, best[view])
            labels[view] = np.where(better, k, labels[view])
        if step == iterations:
            break
        area = np.bincount(labels[labels >= 0], minlength=n) * cell
        # d(area)/d(w) is about a quarter-ellipse's pi/4 * box area; damped Newton step.
        slope = np.maximum(box_cells * cell * np.pi / 4, cell)
        weights = np.clip(weights + 0.7 * (target - area) / slope, 0.0, 2.0)
    return labels


def fill_holes(labels: np.ndarray) -> np.ndarray:
    """Outside cells enclosed by the city go to the nearest site."""
    inside = ndimage.binary_fill_holes(labels >= 0)
    return _to_nearest_site(labels, inside & (labels < 0))


def smooth_outline(labels: np.ndarray, cell_km: float, radius_km: float = 0.5) -> np.ndarray:
    """Round off the city outline: a morphological closing with a disc of `radius_km` fills
    the notches between neighbouring sites' rounded edges; the cells it adds go to the
    nearest site."""
    steps = int(round(radius_km / cell_km))
    if steps < 1:
        return labels
    yy, xx = np.mgrid[-steps : steps + 1, -steps : steps + 1]
    disc = xx**2 + yy**2 <= steps**2
    inside = np.pad(labels >= 0, steps)
    closed = ndimage.binary_closing(inside, structure=disc)[steps:-steps, steps:-steps]
    closed = ndimage.binary_fill_holes(closed)
    return _to_nearest_site(labels, closed & (labels < 0))


def _to_nearest_site(labels: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The outside `cells` (a mask) given to the nearest site; `labels` itself when there are none."""
    if not cells.any():
        return labels
    _, (ni, nj) = ndimage.distance_transform_edt(labels < 0, return_indices=True)
    labels = labels.copy()
    labels[cells] = labels[ni[cells], nj[cells]]
    return labels
