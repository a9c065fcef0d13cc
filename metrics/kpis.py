"""The KPI catalog: one definition per KPI, used by every page, export and alert.

Every KPI is computed from COUNT columns (data_access.schema.RATING_COUNTS,
DOSSIER_COUNTS, BACKLOG_COUNTS). A rate is always sum(numerator) / sum(denominator) over
the rows being aggregated - never an average of rates. Sum the counts first (over days,
channels, fields, units), then call `value`.

A denominator of 0 means "no data": the value is NaN, never 0.

Backlog counts (open_dossiers, open_overdue) are end-of-day snapshots: sum them over
units, never over days (take the snapshot at the end of the period instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal
from collections.abc import Iterable

import numpy as np
import pandas as pd
from i18n.text import pick

Kind = Literal["rate", "count", "mean"]
# Per kind: the table column kind and the chart axis format (format_value says the same in words).
DISPLAY = {"rate": ("pct", ".1%"), "count": ("int", ",d"), "mean": ("num", ".1f")}
Source = Literal["ratings", "dossiers", "backlog"]


@dataclass(frozen=True)
class Kpi:
    id: str
    label_vi: str
    label_en: str
    numerator: tuple[str, ...]  # summed column names (a 1-tuple for a single column)
    denominator: str | None  # None for counts
    kind: Kind
    higher_is_better: bool
    help_vi: str
    help_en: str
    volume_column: str  # the count to show beside the value ("on 1,230 dossiers")
    source: Source
    # Noun for the volume in sentences: "1.230 hồ sơ", "1,230 ratings".
    volume_noun_vi: str = ""
    volume_noun_en: str = ""

    def __post_init__(self):
        if isinstance(self.numerator, str):  # allow numerator="ratings"
            object.__setattr__(self, "numerator", (self.numerator,))
        else:
            object.__setattr__(self, "numerator", tuple(self.numerator))
        if self.kind not in ("rate", "count", "mean"):
            raise ValueError(f"KPI {self.id!r}: kind must be rate/count/mean, got {self.kind!r}")
        if (self.denominator is None) != (self.kind == "count"):
            raise ValueError(f"KPI {self.id!r}: a count has no denominator; rates and means need one")

    def label(self, lang: str = "vi") -> str:
        return pick(lang, self.label_vi, self.label_en)

    def help(self, lang: str = "vi") -> str:
        return pick(lang, self.help_vi, self.help_en)

    def volume_noun(self, lang: str = "vi") -> str:
        return pick(lang, self.volume_noun_vi, self.volume_noun_en)

    # The display format, said once here (as Superset's SqlMetric carries its d3format):
    @property
    def column_kind(self) -> str:
        """How a table shows the value (ui/downloads.py column kinds): pct, int or num."""
        return DISPLAY[self.kind][0]

    @property
    def d3format(self) -> str:
        """How a chart axis shows the value (plotly's d3-format)."""
        return DISPLAY[self.kind][1]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every count column this KPI reads (numerator, denominator, volume)."""
        cols = list(self.numerator)
        for c in (self.denominator, self.volume_column):
            if c and c not in cols:
                cols.append(c)
        return tuple(cols)


_R = dict(source="ratings", volume_noun_vi="lượt đánh giá", volume_noun_en="ratings")
_D = dict(source="dossiers", volume_noun_vi="hồ sơ", volume_noun_en="dossiers")
_B = dict(source="backlog", volume_noun_vi="hồ sơ đang giải quyết", volume_noun_en="open dossiers")

_CATALOG = [
    # --- ratings ------------------------------------------------------------------
    Kpi(
        "ratings",
        "Số lượt đánh giá",
        "Ratings",
        ("ratings",),
        None,
        "count",
        True,
        "Tổng số lượt người dân đánh giá sự hài lòng trong kỳ.",
        "Number of citizen satisfaction ratings in the period.",
        "ratings",
        **_R,
    ),
    Kpi(
        "satisfaction_rate",
        "Tỷ lệ hài lòng",
        "Satisfaction rate",
        ("very_satisfied", "satisfied"),
        "ratings",
        "rate",
        True,
        "(Rất hài lòng + Hài lòng) / tổng số lượt đánh giá.",
        "(Very satisfied + satisfied) / all ratings.",
        "ratings",
        **_R,
    ),
    Kpi(
        "dissatisfaction_rate",
        "Tỷ lệ không hài lòng",
        "Dissatisfaction rate",
        ("dissatisfied",),
        "ratings",
        "rate",
        False,
        "Số lượt Không hài lòng / tổng số lượt đánh giá.",
        "Dissatisfied ratings / all ratings.",
        "ratings",
        **_R,
    ),
    # --- dossiers -----------------------------------------------------------------
    Kpi(
        "received",
        "Hồ sơ tiếp nhận",
        "Dossiers received",
        ("received",),
        None,
        "count",
        True,
        "Số hồ sơ được tiếp nhận trong kỳ (mọi kênh). Hồ sơ mới đăng ký chưa tiếp nhận (trạng thái 1) và hồ sơ không được tiếp nhận (3) không tính.",
        "Dossiers accepted in the period (all channels). Registrations not yet accepted (status 1) and refused ones (3) do not count.",
        "received",
        **_D,
    ),
    Kpi(
        "finished",
        "Hồ sơ đã giải quyết",
        "Dossiers finished",
        ("finished",),
        None,
        "count",
        True,
        "Số hồ sơ đã giải quyết xong trong kỳ.",
        "Dossiers finished in the period.",
        "finished",
        **_D,
    ),
    Kpi(
        "on_time_rate",
        "Tỷ lệ đúng hạn",
        "On-time rate",
        ("finished_early", "finished_on_time"),
        "finished",
        "rate",
        True,
        "(Hồ sơ giải quyết trước hạn + đúng hạn) / hồ sơ đã giải quyết.",
        "(Finished early + on time) / dossiers finished.",
        "finished",
        **_D,
    ),
    Kpi(
        "online_share",
        "Tỷ lệ hồ sơ trực tuyến",
        "Online share",
        ("received_online",),
        "received",
        "rate",
        True,
        "Hồ sơ tiếp nhận trực tuyến / tổng hồ sơ tiếp nhận.",
        "Dossiers received online / all dossiers received.",
        "received",
        **_D,
    ),
    Kpi(
        "late_acceptance_rate",
        "Tỷ lệ chậm tiếp nhận",
        "Late acceptance rate",
        ("accepted_late",),
        "received_online",
        "rate",
        False,
        "Hồ sơ trực tuyến bị chậm tiếp nhận / hồ sơ tiếp nhận trực tuyến.",
        "Online dossiers accepted late / dossiers received online.",
        "received_online",
        **_D,
    ),
    Kpi(
        "accepted_late",
        "Hồ sơ chậm tiếp nhận",
        "Dossiers accepted late",
        ("accepted_late",),
        None,
        "count",
        False,
        "Số hồ sơ trực tuyến được tiếp nhận trễ (chậm tiếp nhận) trong kỳ.",
        "Online dossiers accepted late in the period.",
        "received_online",
        **_D,
    ),
    Kpi(
        "apology_compliance",
        "Tỷ lệ xin lỗi đúng quy định",
        "Apology compliance",
        ("late_with_apology",),
        "finished_late",
        "rate",
        True,
        "Hồ sơ trễ hạn có phiếu xin lỗi và hẹn lại ban hành trước thời điểm hẹn trả (cộng số ngày chờ bổ sung) / hồ sơ trễ hạn. Phiếu ban hành trong ngày hẹn nhưng sau giờ hẹn là trễ. {margin_vi}",
        "Late dossiers with an apology letter issued before the due time (plus supplement waiting days) / late dossiers. A letter on the due day after the due hour is late. {margin_en}",
        "finished_late",
        **_D,
    ),
    Kpi(
        "avg_processing_days",
        "Số ngày xử lý bình quân",
        "Average processing days",
        ("processing_days_sum",),
        "finished",
        "mean",
        False,
        "Số ngày theo lịch (kể cả thứ Bảy, Chủ nhật, ngày lễ) từ ngày tiếp nhận đến ngày giải quyết xong, trừ số ngày chờ công dân bổ sung, bình quân trên hồ sơ đã giải quyết.",
        "Calendar days (weekends and holidays included) from the day received to the day finished, less the days waiting for the citizen's supplement, averaged over dossiers finished.",
        "finished",
        **_D,
    ),
    Kpi(
        "avg_processing_workdays",
        "Số ngày làm việc xử lý bình quân",
        "Average processing working days",
        ("processing_workdays_sum",),
        "finished",
        "mean",
        False,
        "Số ngày làm việc (thứ Hai đến thứ Sáu, trừ ngày lễ, Tết theo lịch nghỉ cấu hình) từ ngày tiếp nhận đến ngày giải quyết xong, trừ số ngày chờ bổ sung, bình quân trên hồ sơ đã giải quyết.",
        "Working days (Monday to Friday less the configured public holidays) from the day received to the day finished, less the days waiting for a supplement, averaged over dossiers finished.",
        "finished",
        **_D,
    ),
    Kpi(
        "online_payment_rate",
        "Tỷ lệ thanh toán trực tuyến",
        "Online payment rate",
        ("paid_online",),
        "finished",
        "rate",
        True,
        "Hồ sơ thanh toán phí, lệ phí trực tuyến / hồ sơ đã giải quyết.",
        "Dossiers with fees paid online / dossiers finished.",
        "finished",
        **_D,
    ),
    Kpi(
        "digitisation_rate",
        "Tỷ lệ số hóa hồ sơ",
        "Digitisation rate",
        ("digitised",),
        "finished",
        "rate",
        True,
        "Hồ sơ được số hóa thành phần, kết quả / hồ sơ đã giải quyết.",
        "Dossiers with digitised components and results / dossiers finished.",
        "finished",
        **_D,
    ),
    # --- backlog (snapshots) --------------------------------------------------------
    Kpi(
        "open_dossiers",
        "Hồ sơ đang giải quyết",
        "Open dossiers",
        ("open_dossiers",),
        None,
        "count",
        False,
        "Số hồ sơ đang giải quyết tại cuối kỳ.",
        "Dossiers still open at the end of the period.",
        "open_dossiers",
        **_B,
    ),
    Kpi(
        "open_overdue",
        "Hồ sơ quá hạn đang giải quyết",
        "Open overdue dossiers",
        ("open_overdue",),
        None,
        "count",
        False,
        "Số hồ sơ chưa giải quyết xong đã quá hạn, tại cuối kỳ.",
        "Dossiers still open past their due date, at the end of the period.",
        "open_dossiers",
        **_B,
    ),
    Kpi(
        "open_overdue_share",
        "Tỷ lệ hồ sơ đang quá hạn",
        "Open overdue share",
        ("open_overdue",),
        "open_dossiers",
        "rate",
        False,
        "Hồ sơ đang giải quyết đã quá hạn / hồ sơ đang giải quyết, tại cuối kỳ.",
        "Open dossiers past their due date / open dossiers, at the end of the period.",
        "open_dossiers",
        **_B,
    ),
]


def _apology_margin_words() -> tuple[str, str]:
    from domain.timeliness import DEFAULT_RULE

    n = DEFAULT_RULE.apology_margin_working_days
    if n <= 0:
        return "", ""
    return (
        f"Quy định áp dụng: phiếu phải ban hành trước ngày hẹn ít nhất {n} ngày làm việc.",
        f"Rule in force: the letter must be issued at least {n} working day(s) before the due day.",
    )


def _with_apology_margin(kpi: Kpi) -> Kpi:
    from dataclasses import replace

    vi, en = _apology_margin_words()
    return replace(kpi, help_vi=kpi.help_vi.format(margin_vi=vi).strip(), help_en=kpi.help_en.format(margin_en=en).strip())


_CATALOG = [_with_apology_margin(k) if k.id == "apology_compliance" else k for k in _CATALOG]
KPIS: dict[str, Kpi] = {k.id: k for k in _CATALOG}


def get(kpi_id) -> Kpi:
    """The KPI with this id (a Kpi passes through). Unknown ids raise a clear KeyError."""
    if isinstance(kpi_id, Kpi):
        return kpi_id
    try:
        return KPIS[kpi_id]
    except (KeyError, TypeError):
        raise KeyError(f"Unknown KPI id {kpi_id!r}; known: {', '.join(sorted(KPIS))}") from None


def _need(frame: pd.DataFrame, columns: Iterable[str], kpi: Kpi) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"KPI {kpi.id!r} needs column(s) {missing} that the frame lacks")


def numerator(frame: pd.DataFrame, kpi) -> pd.Series:
    """Sum of the numerator columns, row by row (NaN if any of them is missing in a row)."""
    kpi = get(kpi)
    cols = list(kpi.numerator)
    _need(frame, cols, kpi)
    if len(cols) == 1:
        return pd.to_numeric(frame[cols[0]]).rename(kpi.id + "_num")
    part = frame[cols]
    if not all(pd.api.types.is_numeric_dtype(t) for t in part.dtypes):  # the common case skips a slow apply
        part = part.apply(pd.to_numeric)
    return part.sum(axis=1, min_count=len(cols)).rename(kpi.id + "_num")


def denominator(frame: pd.DataFrame, kpi) -> pd.Series:
    """The denominator column (for a count KPI: a Series of NaN)."""
    kpi = get(kpi)
    if kpi.denominator is None:
        return pd.Series(np.nan, index=frame.index, name=kpi.id + "_den")
    _need(frame, [kpi.denominator], kpi)
    return pd.to_numeric(frame[kpi.denominator]).rename(kpi.id + "_den")


def volume(frame: pd.DataFrame, kpi) -> pd.Series:
    """The volume to show beside the value (ratings, finished dossiers, open dossiers...)."""
    kpi = get(kpi)
    _need(frame, [kpi.volume_column], kpi)
    return pd.to_numeric(frame[kpi.volume_column]).rename(kpi.id + "_volume")


def value(frame: pd.DataFrame, kpi) -> pd.Series:
    """The KPI row by row: numerator / denominator (float), NaN where the denominator is 0.

    Count KPIs return the (summed) numerator unchanged.
    """
    kpi = get(kpi)
    num = numerator(frame, kpi)
    if kpi.kind == "count":
        return num.rename(kpi.id)
    den = denominator(frame, kpi).astype("float64")
    num = num.astype("float64")
    out = num / den.where(den > 0)
    return out.rename(kpi.id)


def add_kpi_columns(frame: pd.DataFrame, kpi_ids: Iterable[str]) -> pd.DataFrame:
    """A copy of `frame` with one column per KPI, named by the KPI id, holding its value.

    A count KPI whose id equals its source column (e.g. "ratings") keeps that column as is.
    """
    out = frame.copy()
    for kpi_id in kpi_ids:
        kpi = get(kpi_id)
        out[kpi.id] = value(frame, kpi)
    return out


def total(frame: pd.DataFrame, kpi) -> float:
    """The KPI over all rows of the frame: sum the counts first, then divide."""
    kpi = get(kpi)
    cols = list(kpi.numerator) + ([kpi.denominator] if kpi.denominator else [])
    _need(frame, cols, kpi)
    # Plain floats: this runs for every card of every page, and small frames are slow.
    sums = {c: float(pd.to_numeric(frame[c]).sum()) for c in dict.fromkeys(cols)}
    num = sum(sums[c] for c in kpi.numerator)
    if kpi.kind == "count":
        return num
    den = sums[kpi.denominator]
    return num / den if den > 0 else float("nan")


def status_against_target(value, target, higher_is_better: bool = True, amber_margin=None):
    """ "green" when the target is met, "amber" when missed by at most `amber_margin`,
    "red" otherwise; None when value or target is missing. Margin None/NaN means 0.

    Same units as the value (a rate target of 0.98 with margin 0.01 is amber down to 0.97).
    """
    if _is_missing(value) or _is_missing(target):
        return None
    v, t = float(value), float(target)
    m = 0.0 if _is_missing(amber_margin) else abs(float(amber_margin))
    eps = 1e-12  # 0.98 - 0.01 must reach 0.97 despite binary floating point
    shortfall = (t - v) if higher_is_better else (v - t)
    if shortfall <= eps:
        return "green"
    if shortfall <= m + eps:
        return "amber"
    return "red"


def format_value(x, kpi, lang: str = "vi") -> str:
    """The value formatted for display: rates as percentages, counts as integers,
    means with one decimal. NaN / None -> "—"."""
    from i18n.format import fmt_int, fmt_num, fmt_pct

    kpi = get(kpi)
    if kpi.kind == "rate":
        return fmt_pct(x, lang)
    if kpi.kind == "count":
        return fmt_int(x, lang)
    return fmt_num(x, lang, 1)


def _is_missing(x) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


# The figures a leader reads first: the cards of the overview, a unit's profile and the pack.
HEADLINE_KPIS = ["satisfaction_rate", "on_time_rate", "open_overdue", "online_share", "ratings", "received", "apology_compliance", "avg_processing_days"]
# The two rates whose trends and rankings lead every page.
LEAD_RATES = ["satisfaction_rate", "on_time_rate"]
# Counts of work, not of quality: more is neither better nor worse (no good/bad colour).
VOLUME_KPIS = ("ratings", "received", "finished", "open_dossiers")


def target_for(targets: pd.DataFrame, kpi_id: str, unit_code: str) -> tuple[float, float] | None:
    """(value, amber margin) of the unit's own target if it has one, else the one set for every unit.

    `targets`: the targets in force (data_access.queries.load_targets).
    """
    return target_lookup(targets, kpi_id)(unit_code)


def target_lookup(targets: pd.DataFrame, kpi_id: str):
    """target_for of one KPI as a function of the unit code, the targets read once: a table
    of 168 units asks 168 times."""
    # Plain lists: the frame is a handful of rows (masks over Arrow strings are slow).
    rows = [
        r for r in zip(targets["kpi_id"].tolist(), targets["unit_code"].tolist(), targets["value"].tolist(), targets["amber_margin"].tolist()) if r[0] == kpi_id
    ]
    own, default = {}, None
    for _, unit_code, value_, margin in rows:  # the last row of a unit wins
        found = (float(value_), float(margin) if pd.notna(margin) else 0.0)
        if pd.isna(unit_code):
            default = found
        else:
            own[unit_code] = found
    return lambda unit_code: own.get(unit_code, default)


# Status against target, in words (vi, en); the same on cards, in rankings and in the pack.
STATUS_WORDS = {"green": ("Đạt", "On target"), "amber": ("Gần đạt", "Near target"), "red": ("Chưa đạt", "Below target")}
# ... and in a shape that every font draws (DejaVu Sans has them; emoji need an emoji font).
STATUS_MARKS = {"green": "●", "amber": "▲", "red": "■"}


def format_change(kpi, now, before, lang: str = "vi") -> str | None:
    """The change since the comparison period, signed: percentage points for rates, the
    difference for means, the relative change for counts; None when it cannot be said."""
    from i18n.format import fmt_delta_pct_points, fmt_num, fmt_pct

    kpi = get(kpi)
    if _is_missing(now) or _is_missing(before):
        return None
    if kpi.kind == "rate":
        return fmt_delta_pct_points(now - before, lang)
    if kpi.kind == "mean":
        return ("+" if now >= before else "-") + fmt_num(abs(now - before), lang, 1)
    if before == 0:
        return None
    return ("+" if now >= before else "-") + fmt_pct(abs(now / before - 1), lang)


def change_colour(kpi, change_text: str | None) -> str:
    """st.metric's delta_color for a KPI's change: grey for a volume (ratings, dossiers
    received are neither good nor bad) and for a change that reads as zero ("+0,0"), else
    green for better, red for worse."""
    kpi = get(kpi)
    if kpi.id in VOLUME_KPIS or not any(digit in (change_text or "") for digit in "123456789"):
        return "off"
    return "normal" if kpi.higher_is_better else "inverse"


def colour_range(kpi, target) -> tuple[float, float, float] | None:
    """(low, target, high) of a map's colour scale for a rate KPI with a target: the same on
    every view of the KPI, so 87,5 % is the same colour on the city's map and a district's.
    Higher-is-better rates run from 10 points below the target to 100 %; lower-is-better
    ones from 0 to the target plus its own size (at least 2 points). None: no target."""
    kpi = get(kpi)
    if kpi.kind != "rate" or _is_missing(target):
        return None
    t = float(target)
    if kpi.higher_is_better:
        return max(0.0, t - 0.10), t, 1.0
    return 0.0, t, min(1.0, t + max(t, 0.02))
