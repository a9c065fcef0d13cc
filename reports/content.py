"""What a review meeting (họp giao ban) looks at, computed once for the slides and the pack.

Pure Python over `data_access` (no Streamlit): given an engine, a scope (unit code) and a
Period, `build_briefing` returns a `Briefing` - the KPI figures against targets, the focus
KPI (the weakest against its target), the map values and the units weak on it (the one
rule of metrics.ranking.mark_weak, ranks in its one fair order), its trend over 12 periods, the units flagged by the alerts with
their key figures, and the commitments the meeting opens with. The meeting page, the
PowerPoint pack and the PDF pack all draw this same object, so they cannot disagree.

`scan_alerts` is the alert rule of the dashboard (six periods of baseline, backlog as a
level) with the loaders passed in, so ui/alerts.py can run it through its cached loaders.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from collections.abc import Callable

import pandas as pd
from sqlalchemy.engine import Engine

from i18n.text import pick
from data_access import commitments as commitment_store
from data_access import queries
from domain import access
from domain.access import Viewer
from domain.errors import UserFacingError
from i18n.format import fmt_int, fmt_num
from metrics import alerts as alert_rules
from metrics import kpis, ranking, scoreboard, service_index
from domain import units as unit_tree
from domain.units import AREA_PREFIX
from geo import boundaries as boundary_layers
from metrics.periods import Period, previous_period, same_period_last_year
from metrics.trend import SOURCE_GRAIN, buckets_for, trend_frame, trend_grain

CARD_KPIS = kpis.HEADLINE_KPIS
TREND_PERIODS = 12
BOTTOM_UNITS = 10
MAX_ALERT_UNITS = 8
KEY_FIGURE_KPIS = ["satisfaction_rate", "on_time_rate", "open_overdue", "apology_compliance"]
WEEK_BOARD_UNITS = 12  # the lowest scores of the week shown on the slide


class BriefingError(UserFacingError, ValueError):
    """The scope or period cannot make a briefing; the detail says why (the command line
    prints `error: <detail>`)."""

    vi = "Không tạo được nội dung họp. Chi tiết: "
    en = "The briefing cannot be made. Details: "


# --- the content ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Where a briefing reads its counts, each as data_access.queries answers them for the
    viewer: the database itself (the command line's packs: `from_database`), or the app's
    cached loaders (the meeting page: counts the other pages read already are not read again)."""

    kpi_counts: Callable  # (start, end, codes, by_unit, restated) -> frame
    flow_counts_by_period: Callable  # (start, end, grain, codes, restated) -> frame
    backlog_counts: Callable  # (days, codes, by_unit, restated) -> frame

    @classmethod
    def from_database(cls, engine: Engine, viewer: Viewer) -> Counts:
        return cls(
            lambda start, end, codes, by_unit, restated: queries.kpi_counts(engine, start, end, codes, by_unit, viewer=viewer, restated=restated),
            lambda start, end, grain, codes, restated: queries.flow_counts_by_period(engine, start, end, grain, codes, viewer=viewer, restated=restated),
            lambda days, codes, by_unit, restated: queries.backlog_counts(engine, list(days), codes, by_unit, viewer=viewer, restated=restated),
        )


@dataclass
class KpiFigure:
    kpi_id: str
    label: str
    definition: str
    value: float
    compare_value: float
    change_text: str
    target: float | None
    status: str | None  # green / amber / red / None (no target)
    volume: int
    value_text: str
    target_text: str
    status_text: str
    volume_text: str


@dataclass
class FlaggedUnit:
    unit_code: str
    name: str
    parent_name: str
    severity: str
    sentences: list[str]
    figures: list[tuple[str, str]]  # (label, formatted value with volume)


@dataclass
class WeekBoard:
    """The week's service index scoreboard of the units in the scope (metrics/scoreboard.py)."""

    week: Period
    score: float
    band_label: str
    band_counts: list[tuple[str, int]]
    lowest: pd.DataFrame  # the lowest scores: rank, name, score, band_label, change, weakest, received
    units_scored: int
    version_label: str
    bands_text: str


@dataclass
class Briefing:
    scope_code: str
    scope_name: str
    scope_level: str
    is_city: bool
    period: Period
    compare: Period
    lang: str
    meeting_date: date
    kpis: list[KpiFigure]
    focus_kpi: str
    children_label: str
    units_values: pd.DataFrame  # every unit one level down: unit_code, name, value, volume, rank, lat, lon
    bottom: pd.DataFrame  # those of them weak on the focus KPI (ranking.mark_weak), worst first
    trend: pd.DataFrame  # label, value, volume (oldest first)
    trend_target: float | None
    alerts: list[FlaggedUnit]
    alert_count: int
    commitments: pd.DataFrame
    commitments_since: date | None
    boundaries: object = None  # GeoDataFrame of the units one level down, or None
    boundaries_note: str = ""
    notes: dict = field(default_factory=dict)
    week_board: WeekBoard | None = None

    def t(self, vi: str, en: str) -> str:
        return pick(self.lang, vi, en)

    @property
    def focus(self) -> kpis.Kpi:
        return kpis.get(self.focus_kpi)

    def fmt(self, value, kpi_id: str | None = None) -> str:
        return kpis.format_value(value, kpis.get(kpi_id or self.focus_kpi), self.lang)

    def definition_lines(self, kpi_ids) -> list[str]:
        return [f"{kpis.get(k).label(self.lang)}: {kpis.get(k).help(self.lang)}" for k in kpi_ids]

    @property
    def weak_rule(self) -> str:
        return ranking.weak_rule_text(self.focus, self.lang)

    @property
    def weak_title(self) -> str:
        return self.t("Đơn vị cần cải thiện", "Units needing improvement")

    @property
    def title(self) -> str:
        return f"{self.t('Họp giao ban', 'Review meeting')} · {self.scope_name} · {self.period.label(self.lang)}"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _figures(now: pd.DataFrame, before: pd.DataFrame, targets: pd.DataFrame, scope_code: str, lang: str) -> list[KpiFigure]:
    out = []
    for kpi_id in CARD_KPIS:
        kpi = kpis.get(kpi_id)
        value, previous = kpis.total(now, kpi), kpis.total(before, kpi)
        target = kpis.target_for(targets, kpi_id, scope_code)
        status = kpis.status_against_target(value, target[0], kpi.higher_is_better, target[1]) if target else None
        volume = int(now[kpi.volume_column].sum())
        out.append(
            KpiFigure(
                kpi_id=kpi_id,
                label=kpi.label(lang),
                definition=kpi.help(lang),
                value=value,
                compare_value=previous,
                change_text=kpis.format_change(kpi, value, previous, lang) or "—",
                target=target[0] if target else None,
                status=status,
                volume=volume,
                value_text=kpis.format_value(value, kpi, lang),
                target_text=kpis.format_value(target[0], kpi, lang) if target else "—",
                status_text=pick(lang, *kpis.STATUS_WORDS[status]) if status else "—",
                volume_text=f"{fmt_int(volume, lang)} {kpi.volume_noun(lang)}",
            )
        )
    return out


def weakest_kpi(figures: list[KpiFigure]) -> str:
    """The rate KPI furthest below its target (red before amber before green, then the
    shortfall measured in amber margins); without targets, the one that worsened most."""
    best_key, best_id = None, "satisfaction_rate"
    for f in figures:
        kpi = kpis.get(f.kpi_id)
        if kpi.kind != "rate" or _missing(f.value):
            continue
        if f.target is not None:
            shortfall = (f.target - f.value) if kpi.higher_is_better else (f.value - f.target)
            key = (1, {"red": 2, "amber": 1, "green": 0}[f.status], shortfall / 0.01)
        else:
            worse = 0.0 if _missing(f.compare_value) else ((f.compare_value - f.value) if kpi.higher_is_better else (f.value - f.compare_value))
            key = (0, 0, worse)
        if best_key is None or key > best_key:
            best_key, best_id = key, f.kpi_id
    return best_id


def _child_units(units: pd.DataFrame, scope_code: str) -> pd.DataFrame:
    return unit_tree.children(units, scope_code, levels=("district", "ward"))


def _key_figures(row: pd.Series, lang: str) -> list[tuple[str, str]]:
    out = []
    for kpi_id in KEY_FIGURE_KPIS:
        kpi = kpis.get(kpi_id)
        frame = row.to_frame().T
        value = kpis.total(frame, kpi)
        text = kpis.format_value(value, kpi, lang)
        if kpi.kind != "count":
            text += f" ({fmt_int(row.get(kpi.volume_column, 0), lang)} {kpi.volume_noun(lang)})"
        out.append((kpi.label(lang), text))
    return out


def sections(b: Briefing) -> list[str]:
    """The meeting's sections in order, declared once: the page (ui/meeting.py, one slide per
    alert), the PowerPoint and the PDF pack walk the same list. A builder may show nothing for
    a section it has no data for (the map of a scope with no units below it)."""
    return ["kpis", "map", "bottom", "trend", *(["week"] if b.week_board is not None else []), "alerts", "commitments"]


def load_boundaries(engine: Engine, codes) -> tuple[object, str]:
    """Polygons of `codes` as a GeoDataFrame (code, geometry) and a note on their source
    ("approximate" when any is generated). (None, "") when no boundary is stored."""
    codes = list(codes)
    if not codes:
        return None, ""
    frame = boundary_layers.load_boundaries(engine, codes)
    if frame.empty:
        return None, ""
    approximate = bool(frame["approximate"].any())
    return frame[["code", "geometry"]].copy(), ("approximate" if approximate else "")


def resolve_scope(units: pd.DataFrame, scope_code: str) -> pd.Series:
    match = units[units["code"] == str(scope_code)]
    if match.empty:
        known = ", ".join(units.loc[units["level"].isin(["city", "district", "ward"]), "code"].astype(str).head(8))
        raise BriefingError(f"Unknown scope code {scope_code!r} (e.g. {known}, …)")
    return match.iloc[0]


def _after_reform(engine: Engine, period: Period) -> bool:
    """Is the period on units formed by the latest reform (so earlier figures are restated)?"""
    days = queries.load_lineage(engine)["effective_date"]
    return bool(len(days)) and period.end >= pd.Timestamp(days.max()).date()


def _area(engine: Engine, all_units: pd.DataFrame, units: pd.DataFrame, scope_code: str) -> tuple[str, ...]:
    """The units in force of area `area:CODE` (domain.units.area_members); BriefingError if none."""
    code = scope_code[len(AREA_PREFIX) :]
    members = unit_tree.area_members(all_units, queries.load_lineage(engine), units["code"]).get(code)
    if not members:
        raise BriefingError(f"Unknown area {scope_code!r}: no unit of the period came from {code!r}")
    return members


def build_briefing(
    engine: Engine,
    scope_code: str,
    period: Period,
    lang: str = "vi",
    compare_mode: str = "prev",
    meeting_date: date | None = None,
    with_map: bool = True,
    progress: Callable | None = None,
    *,
    viewer: Viewer,
    counts: Counts | None = None,
) -> Briefing:
    """Everything a meeting on `scope_code` for `period` shows, as `viewer` may see it (the
    command line passes access.SYSTEM), its counts read through `counts` (default: the
    database). Raises BriefingError, or OutOfScope when the scope is not one of the viewer's
    own units."""
    report = progress or (lambda fraction, message: None)
    counts = counts or Counts.from_database(engine, viewer)
    # The units of the period (today's two-tier units from July 2025, the former districts and
    # wards before); a comparison or trend reaching before a reform is restated onto them.
    all_units = queries.load_units(engine)
    units = unit_tree.versions_on(all_units, period.end)
    if units.empty:
        raise BriefingError("The database holds no units")
    restated = _after_reform(engine, period)
    names = dict(zip(all_units["code"], all_units["name"]))
    area = _area(engine, all_units, units, scope_code) if str(scope_code).startswith(AREA_PREFIX) else None
    if area is not None:  # an area of today's units: its members, each the viewer's own
        members, is_city = area, False
        links = queries.unit_links(engine)  # an area leader's area comes from the crosswalk
        for member in members:
            access.require_unit(viewer, all_units, member, links)
        codes, scope_level = members, "area"
        children = units[units["code"].isin(members)]
        roll_parent = unit_tree.home_city(units)
        scope_name = f"{pick(lang, 'Khu vực', 'Area')} {names.get(scope_code[len(AREA_PREFIX) :], scope_code)} ({pick(lang, 'cũ', 'former')})"
    else:
        scope = resolve_scope(units, scope_code)
        scope_code, scope_level = str(scope["code"]), str(scope["level"])
        access.require_unit(viewer, all_units, scope_code, queries.unit_links(engine))
        is_city = pd.isna(scope["parent_code"])
        codes = None if is_city else unit_tree.subtree_codes(units, scope_code)
        children, roll_parent = _child_units(units, scope_code), scope_code
        scope_name = pick(lang, "Toàn thành phố", "Whole city") + f" ({names[scope_code]})" if is_city else names[scope_code]
    compare = previous_period(period) if compare_mode == "prev" else same_period_last_year(period)
    meeting_date = meeting_date or date.today()
    report(0.05, pick(lang, "Đang tính các chỉ số", "Computing the KPIs"))

    now = counts.kpi_counts(period.start, period.end, codes, False, False)
    before = counts.kpi_counts(compare.start, compare.end, codes, False, restated)
    targets = queries.load_targets(engine, period.end)
    figures = _figures(now, before, targets, scope_code, lang)
    focus_id = weakest_kpi(figures)
    focus = kpis.get(focus_id)

    report(0.2, pick(lang, "Đang xếp hạng đơn vị", "Ranking units"))
    by_unit = counts.kpi_counts(period.start, period.end, codes, True, False)
    grouped = unit_tree.roll_up(by_unit, units, roll_parent) if len(children) else by_unit.iloc[0:0]
    grouped = grouped[grouped["unit_code"].isin(children["code"])]
    ranked = ranking.rank_units(grouped, focus, method=ranking.DEFAULT_METHOD) if len(grouped) else pd.DataFrame(columns=ranking.RANK_COLUMNS)
    marked = ranking.mark_weak(ranked, focus, targets)
    units_values = (
        children[["code", "name", "lat", "lon"]]
        .rename(columns={"code": "unit_code"})
        .merge(marked[["unit_code", "value", "volume", "low", "high", "rank", "weak"]], on="unit_code", how="left")
    )
    bottom = ranking.weakest(marked, focus, BOTTOM_UNITS).reset_index(drop=True)
    bottom = bottom.assign(name=bottom["unit_code"].map(names))[["rank", "unit_code", "name", "value", "volume", "low", "high", "weak_reason"]]

    report(0.35, pick(lang, "Đang dựng xu hướng", "Building the trend"))
    grain = trend_grain(period)
    buckets = buckets_for(period, grain, TREND_PERIODS)
    flows = counts.flow_counts_by_period(buckets[0].start, buckets[-1].end, SOURCE_GRAIN[grain], codes, restated)
    backlog = counts.backlog_counts([b.end for b in buckets], codes, False, restated)
    trend = trend_frame(buckets, flows, backlog, grain, lang)
    trend = pd.DataFrame({"label": trend["label"], "value": kpis.value(trend, focus).to_numpy(), "volume": kpis.volume(trend, focus).to_numpy()})
    focus_target = kpis.target_for(targets, focus_id, scope_code)

    report(0.5, pick(lang, "Đang dò cảnh báo", "Scanning for alerts"))
    found = alert_rules.scan_alerts(
        lambda s, e, c, b: counts.kpi_counts(s, e, c, b, restated),
        lambda days, c, b: counts.backlog_counts(days, c, b, restated),
        period,
        codes,
    )
    flagged: list[FlaggedUnit] = []
    current_by_unit = by_unit.groupby("unit_code").sum(numeric_only=True)
    for unit_code, rows in found.groupby("unit_code", sort=False):
        if len(flagged) >= MAX_ALERT_UNITS:
            break
        chain = unit_tree.ancestors(units, unit_code)
        parent = names.get(chain[-2], "") if len(chain) > 2 else ""
        sentences = [
            alert_rules.sentence(r, lang, names.get(unit_code, unit_code), (kpis.target_for(targets, r["kpi_id"], unit_code) or (None,))[0])
            for r in rows.to_dict("records")
        ]
        row = current_by_unit.loc[unit_code] if unit_code in current_by_unit.index else pd.Series(0, index=current_by_unit.columns)
        flagged.append(
            FlaggedUnit(
                unit_code=str(unit_code),
                name=names.get(unit_code, str(unit_code)),
                parent_name=parent,
                severity="high" if (rows["severity"] == "high").any() else "medium",
                sentences=sentences,
                figures=_key_figures(row, lang),
            )
        )

    report(0.6, pick(lang, "Đang tính chỉ số phục vụ của tuần", "Scoring the week"))
    board = week_board(counts, units, codes, period, lang)

    report(0.65, pick(lang, "Đang lấy nhiệm vụ đến hạn", "Reading the commitments due"))
    due = commitment_store.due_for_meeting(engine, meeting_date, codes, viewer=viewer)

    boundaries, note = (None, "")
    if with_map and len(children):
        report(0.7, pick(lang, "Đang đọc ranh giới", "Reading boundaries"))
        boundaries, note = load_boundaries(engine, children["code"])
    if note == "approximate":
        note = pick(lang, "Ranh giới gần đúng, sinh tự động; không phải ranh giới chính thức.", "Approximate, generated boundaries; not official.")
    elif boundaries is None and len(children):
        note = pick(lang, "Chưa có ranh giới: đơn vị vẽ theo tọa độ tâm.", "No boundaries stored: units drawn at their centroids.")

    children_label = pick(lang, "quận/huyện", "districts") if (children["level"] == "district").any() else pick(lang, "phường/xã", "wards")
    return Briefing(
        scope_code=scope_code,
        scope_name=scope_name,
        scope_level=scope_level,
        is_city=bool(is_city),
        period=period,
        compare=compare,
        lang=lang,
        meeting_date=meeting_date,
        kpis=figures,
        focus_kpi=focus_id,
        children_label=children_label,
        units_values=units_values,
        bottom=bottom,
        trend=trend,
        trend_target=focus_target[0] if focus_target else None,
        alerts=flagged,
        alert_count=len(found),
        commitments=due,
        commitments_since=due.attrs.get("since"),
        boundaries=boundaries,
        boundaries_note=note,
        week_board=board,
    )


def week_board(counts: Counts, units: pd.DataFrame, codes, period: Period, lang: str) -> WeekBoard | None:
    """The scoreboard of the last whole week of the period, for the units in the scope."""
    week = scoreboard.scoreboard_week(period)
    before = previous_period(week)
    now = counts.kpi_counts(week.start, week.end, codes, True, False)
    if now.empty:
        return None
    then = counts.kpi_counts(before.start, before.end, codes, True, False)
    listed = units if codes is None else units[units["code"].isin(codes)]
    board = scoreboard.scoreboard(now, then, listed, lang=lang)
    score, band = scoreboard.overall(counts.kpi_counts(week.start, week.end, codes, False, False))
    scored = board[board["complete"]]  # ranked units only: a score on one group of five says little
    version = service_index.get_version()
    return WeekBoard(
        week=week,
        score=score,
        band_label=band.label(lang) if band else "—",
        band_counts=scoreboard.band_counts(board, lang=lang),
        lowest=scored.tail(WEEK_BOARD_UNITS).iloc[::-1].reset_index(drop=True),
        units_scored=len(scored),
        version_label=version.label(lang),
        bands_text=", ".join(f"{b.label(lang)} ≥ {fmt_num(b.min, lang, 0)}" for b in version.bands),
    )


def week_board_header(lang: str) -> list[str]:
    return [
        pick(lang, "Hạng", "Rank"),
        pick(lang, "Đơn vị", "Unit"),
        pick(lang, "Điểm", "Score"),
        pick(lang, "Xếp loại", "Band"),
        pick(lang, "So với tuần trước", "Since last week"),
        pick(lang, "Thành phần yếu nhất", "Weakest components"),
        pick(lang, "Hồ sơ", "Dossiers"),
    ]


def week_board_rows(b: Briefing) -> list[list[str]]:
    rows = []
    for r in b.week_board.lowest.itertuples():
        change = "—" if _missing(r.change) else ("+" if r.change > 0 else "") + fmt_num(r.change, b.lang, 2)
        rows.append([fmt_int(r.rank, b.lang), r.name, fmt_num(r.score, b.lang, 2), r.band_label or "—", change, r.weakest or "—", fmt_int(r.received, b.lang)])
    return rows


def week_board_summary(b: Briefing) -> str:
    w = b.week_board
    counts = " · ".join(f"{label}: {fmt_int(n, b.lang)}" for label, n in w.band_counts)
    return b.t(
        f"Điểm chung {fmt_num(w.score, 'vi', 2)}/100 — {w.band_label}. {fmt_int(w.units_scored, 'vi')} đơn vị được xếp hạng. Xếp loại: {counts}.",
        f"Overall {fmt_num(w.score, 'en', 2)}/100 — {w.band_label}. {fmt_int(w.units_scored, 'en')} units ranked. Bands: {counts}.",
    )


def week_board_notes(b: Briefing) -> list[str]:
    w = b.week_board
    return [
        w.version_label,
        b.t(f"Xếp loại: {w.bands_text} (cấu hình theo phiên bản).", f"Bands: {w.bands_text} (versioned configuration)."),
        b.t(
            f"{len(w.lowest)} đơn vị điểm thấp nhất của {w.week.label('vi')}, thấp nhất trước; điểm trên 100 của các nhóm có dữ liệu.",
            f"The {len(w.lowest)} lowest scores of {w.week.label('en')}, lowest first; score out of 100 of the groups with data.",
        ),
    ]


# --- shared helpers for the packs ----------------------------------------------------------


def ascii_slug(text: str) -> str:
    """'Quận 1' -> 'Quan-1'; 'Toàn thành phố (Thành phố Hồ Chí Minh)' -> 'Toan-thanh-pho-...'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "pack"


def pack_filename(scope_name: str, period: Period, fmt: str) -> str:
    """giao-ban_Quan-1_2026-10.pptx (ASCII only, safe on every file system)."""
    return f"giao-ban_{ascii_slug(scope_name)}_{ascii_slug(period.key.replace('..', '_'))}.{fmt}"


def commitment_rows(briefing: Briefing) -> list[list[str]]:
    """The commitments table as text rows (unit, what, owner, due, status, KPI target)."""
    from i18n.format import fmt_date

    rows = []
    for r in briefing.commitments.to_dict("records"):
        kpi_text = ""
        if r["kpi_id"] and r["kpi_id"] in kpis.KPIS:
            kpi_text = kpis.get(r["kpi_id"]).label(briefing.lang)
            if not _missing(r["target_value"]):
                kpi_text += " → " + kpis.format_value(r["target_value"], r["kpi_id"], briefing.lang)
        rows.append(
            [
                r["unit_name"],
                r["title"],
                r["owner"] or "",
                fmt_date(r["due_date"]),
                commitment_store.status_label(r["effective_status"], briefing.lang),
                kpi_text,
            ]
        )
    return rows


def commitment_header(lang: str) -> list[str]:
    return [
        pick(lang, "Đơn vị", "Unit"),
        pick(lang, "Nội dung", "Commitment"),
        pick(lang, "Phụ trách", "Owner"),
        pick(lang, "Hạn", "Due"),
        pick(lang, "Trạng thái", "Status"),
        pick(lang, "Chỉ số / mục tiêu", "KPI / target"),
    ]


def kpi_header(lang: str) -> list[str]:
    return [
        pick(lang, "Chỉ số", "KPI"),
        pick(lang, "Kỳ này", "This period"),
        pick(lang, "Mục tiêu", "Target"),
        pick(lang, "Đánh giá", "Status"),
        pick(lang, "Thay đổi", "Change"),
        pick(lang, "Khối lượng", "Volume"),
    ]


def kpi_rows(briefing: Briefing) -> list[list[str]]:
    return [[f.label, f.value_text, f.target_text, f.status_text, f.change_text, f.volume_text] for f in briefing.kpis]


def bottom_header(briefing: Briefing) -> list[str]:
    return [
        briefing.t("Hạng", "Rank"),
        briefing.t("Đơn vị", "Unit"),
        briefing.focus.label(briefing.lang),
        briefing.t("Khối lượng", "Volume"),
        briefing.t("Lý do", "Why"),
    ]


def bottom_rows(briefing: Briefing) -> list[list[str]]:
    return [
        [str(r["rank"]), r["name"], briefing.fmt(r["value"]), fmt_int(r["volume"], briefing.lang), ranking.weak_reason_words(r["weak_reason"], briefing.lang)]
        for r in briefing.bottom.to_dict("records")
    ]
