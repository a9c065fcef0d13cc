"""A service index in the style of Decision 766/QĐ-TTg, from the groups the data supports.

Weights, formulas, thresholds and the named bands of the score ("xuất sắc" ... "yếu") live in
`service_index_versions.toml`, one entry per version ("766-2022"). Every group is shown as numerator / denominator / points. Groups the
data cannot support (transparency; or a group whose columns the frame lacks; or a group
with a zero denominator for a row) are excluded from that row's maximum, and the row says
which ones. Scores of different versions must never be compared: `compare_allowed`.

Input: a frame of counts, one row per unit (and/or period), holding the rating, dossier
and backlog count columns (merge the three sources on unit_code first). Backlog columns
are end-of-period snapshots.
"""

from __future__ import annotations

from i18n.text import pick

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

VERSIONS_FILE = Path(__file__).with_name("service_index_versions.toml")


@dataclass(frozen=True)
class Component:
    id: str
    label_vi: str
    label_en: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    id: str
    label_vi: str
    label_en: str
    weight: float
    supported: bool
    kind: str = "share"  # "share" | "one_minus_shares"
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    full_at: float = 1.0
    components: tuple[Component, ...] = ()
    note_vi: str = ""
    note_en: str = ""

    def label(self, lang: str = "vi") -> str:
        return pick(lang, self.label_vi, self.label_en)

    def note(self, lang: str = "vi") -> str:
        return pick(lang, self.note_vi, self.note_en)

    @property
    def columns(self) -> tuple[str, ...]:
        cols: list[str] = []
        parts = [self.numerator, self.denominator] + [p for c in self.components for p in (c.numerator, c.denominator)]
        for part in parts:
            for name in part:
                name = name.lstrip("-")
                if name not in cols:
                    cols.append(name)
        return tuple(cols)


@dataclass(frozen=True)
class Band:
    id: str
    label_vi: str
    label_en: str
    min: float

    def label(self, lang: str = "vi") -> str:
        return pick(lang, self.label_vi, self.label_en)


@dataclass(frozen=True)
class IndexVersion:
    id: str
    label_vi: str
    label_en: str
    max_points: float
    groups: tuple[Group, ...] = field(default_factory=tuple)
    bands: tuple[Band, ...] = field(default_factory=tuple)  # highest minimum first

    def label(self, lang: str = "vi") -> str:
        return pick(lang, self.label_vi, self.label_en)

    def band_of(self, score_100) -> Band | None:
        """The named band of a score out of 100 (None: no score, or no bands configured)."""
        if score_100 is None or pd.isna(score_100):
            return None
        for band in self.bands:
            if score_100 >= band.min - 1e-9:
                return band
        return None


def _group(d: dict) -> Group:
    comps = tuple(
        Component(c["id"], c.get("label_vi", c["id"]), c.get("label_en", c["id"]), tuple(c["numerator"]), tuple(c["denominator"]))
        for c in d.get("components", [])
    )
    g = Group(
        id=d["id"],
        label_vi=d.get("label_vi", d["id"]),
        label_en=d.get("label_en", d["id"]),
        weight=float(d["weight"]),
        supported=bool(d.get("supported", True)),
        kind=d.get("kind", "share"),
        numerator=tuple(d.get("numerator", ())),
        denominator=tuple(d.get("denominator", ())),
        full_at=float(d.get("full_at", 1.0)),
        components=comps,
        note_vi=d.get("note_vi", ""),
        note_en=d.get("note_en", ""),
    )
    if g.supported:
        if g.kind == "share" and not (g.numerator and g.denominator):
            raise ValueError(f"Index group {g.id!r}: a share needs numerator and denominator")
        if g.kind == "one_minus_shares" and not g.components:
            raise ValueError(f"Index group {g.id!r}: one_minus_shares needs components")
        if g.kind not in ("share", "one_minus_shares"):
            raise ValueError(f"Index group {g.id!r}: unknown kind {g.kind!r}")
        if not g.full_at > 0:
            raise ValueError(f"Index group {g.id!r}: full_at must be > 0")
    return g


@lru_cache(maxsize=8)
def _load(path: str) -> tuple[str, dict[str, IndexVersion]]:
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    versions = {}
    for vid, v in raw.get("versions", {}).items():
        versions[vid] = IndexVersion(
            id=vid,
            label_vi=v.get("label_vi", vid),
            label_en=v.get("label_en", vid),
            max_points=float(v.get("max_points", 100)),
            groups=tuple(_group(g) for g in v.get("groups", [])),
            bands=tuple(
                sorted(
                    (Band(b["id"], b.get("label_vi", b["id"]), b.get("label_en", b["id"]), float(b["min"])) for b in v.get("bands", [])), key=lambda b: -b.min
                )
            ),
        )
    default = raw.get("default")
    if default not in versions:
        raise ValueError(f"Default index version {default!r} is not defined in {path}")
    return default, versions


def load_versions(path=None) -> dict[str, IndexVersion]:
    """All versions in the TOML file (default: service_index_versions.toml beside this module)."""
    return dict(_load(str(path or VERSIONS_FILE))[1])


def default_version_id(path=None) -> str:
    return _load(str(path or VERSIONS_FILE))[0]


def get_version(version=None, path=None) -> IndexVersion:
    """An IndexVersion by id (None: the default). Unknown ids raise KeyError."""
    if isinstance(version, IndexVersion):
        return version
    default, versions = _load(str(path or VERSIONS_FILE))
    vid = default if version is None else version
    if vid not in versions:
        raise KeyError(f"Unknown service index version {vid!r}; known: {', '.join(sorted(versions))}")
    return versions[vid]


def compare_allowed(version_a, version_b) -> bool:
    """Scores may be compared only when computed with the same formula version."""
    a = version_a.id if isinstance(version_a, IndexVersion) else version_a
    b = version_b.id if isinstance(version_b, IndexVersion) else version_b
    return a is not None and a == b


def _signed_sum(frame: pd.DataFrame, names) -> pd.Series:
    total = pd.Series(0.0, index=frame.index)
    for name in names:
        col = pd.to_numeric(frame[name.lstrip("-")]).astype("float64")
        total = total - col if name.startswith("-") else total + col
    return total


def _share(frame, num_cols, den_cols):
    num, den = _signed_sum(frame, num_cols), _signed_sum(frame, den_cols)
    rate = num / den.where(den > 0)
    return num, den, rate


def compute_index(frame: pd.DataFrame, version=None) -> pd.DataFrame:
    """The index per row of `frame`: the count columns the index reads are dropped, every
    other column (unit_code, period, names...) is kept.

    Per supported group g: g_numerator, g_denominator, g_rate, g_points, g_max (the
    weight, or NaN when excluded for that row). For a "one_minus_shares" group (satisfaction)
    g_numerator/g_denominator are NaN and each component c has g_c_numerator,
    g_c_denominator, g_c_rate; g_rate = 1 - sum of component rates.
    Points = weight * min(1, max(0, rate) / full_at).
    Row totals: total (points earned), max_possible (weights of the groups computed for the
    row), score_100 (total / max_possible * 100, NaN if nothing computed),
    excluded (comma-separated group ids left out of the maximum), version.
    frame.attrs: version, excluded_groups {id: reason} for groups excluded for every row.
    """
    v = get_version(version)
    count_like = set()
    for g in v.groups:
        count_like.update(g.columns)
    keys = [c for c in frame.columns if c not in count_like]
    out = frame[keys].copy()
    total = pd.Series(0.0, index=frame.index)
    max_possible = pd.Series(0.0, index=frame.index)
    excluded_rows = [[] for _ in range(len(frame))]
    excluded_all: dict[str, str] = {}
    for g in v.groups:
        if not g.supported:
            excluded_all[g.id] = "not supported by the data"
            for lst in excluded_rows:
                lst.append(g.id)
            continue
        missing = [c for c in g.columns if c not in frame.columns]
        if missing:
            excluded_all[g.id] = f"missing columns: {', '.join(missing)}"
            for lst in excluded_rows:
                lst.append(g.id)
            continue
        if g.kind == "share":
            num, den, rate = _share(frame, g.numerator, g.denominator)
            out[f"{g.id}_numerator"], out[f"{g.id}_denominator"] = num, den
        else:
            shares = []
            for c in g.components:
                num, den, r = _share(frame, c.numerator, c.denominator)
                out[f"{g.id}_{c.id}_numerator"] = num
                out[f"{g.id}_{c.id}_denominator"] = den
                out[f"{g.id}_{c.id}_rate"] = r
                shares.append(r)
            rate = 1.0 - sum(shares)  # NaN when any component has no data
            out[f"{g.id}_numerator"] = np.nan
            out[f"{g.id}_denominator"] = np.nan
        points = g.weight * np.minimum(1.0, np.maximum(0.0, rate) / g.full_at)
        has = rate.notna()
        out[f"{g.id}_rate"] = rate
        out[f"{g.id}_points"] = points
        out[f"{g.id}_max"] = np.where(has, g.weight, np.nan)
        total = total + points.fillna(0.0)
        max_possible = max_possible + np.where(has, g.weight, 0.0)
        for i, ok in enumerate(has.to_numpy()):
            if not ok:
                excluded_rows[i].append(g.id)
    out["total"] = total
    out["max_possible"] = max_possible
    out["score_100"] = (total / max_possible.where(max_possible > 0)) * 100.0
    out["excluded"] = [",".join(lst) for lst in excluded_rows]
    out["version"] = v.id
    out.attrs.update(version=v.id, excluded_groups=excluded_all)
    return out


def index_breakdown(row, version=None, lang: str = "vi") -> pd.DataFrame:
    """One result row of compute_index as a long table for display: group, label, note,
    numerator, denominator, rate, points, max (NaN: excluded), in the version's order.
    Components of composite groups follow their group with ids "group.component"."""
    v = get_version(version if version is not None else row.get("version"))
    rows = []
    for g in v.groups:
        pts = row.get(f"{g.id}_points", np.nan)
        rows.append(
            dict(
                group=g.id,
                label=g.label(lang),
                note=g.note(lang),
                numerator=row.get(f"{g.id}_numerator", np.nan),
                denominator=row.get(f"{g.id}_denominator", np.nan),
                rate=row.get(f"{g.id}_rate", np.nan),
                points=pts,
                max=row.get(f"{g.id}_max", np.nan) if g.supported else np.nan,
            )
        )
        for c in g.components:
            rows.append(
                dict(
                    group=f"{g.id}.{c.id}",
                    label=pick(lang, c.label_vi, c.label_en),
                    note="",
                    numerator=row.get(f"{g.id}_{c.id}_numerator", np.nan),
                    denominator=row.get(f"{g.id}_{c.id}_denominator", np.nan),
                    rate=row.get(f"{g.id}_{c.id}_rate", np.nan),
                    points=np.nan,
                    max=np.nan,
                )
            )
    return pd.DataFrame(rows)
