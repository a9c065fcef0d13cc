"""The rankings page's blocks (pages/analysis/rankings.py): the ranked tables of a KPI and of
the service index, with their notes, charts and profile links."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from i18n.format import fmt_int, fmt_num, fmt_pct
from metrics import kpis, ranking, service_index
from ui import data, url_state
from ui.downloads import Col, table
from ui.i18n import lang, t
from ui.ranking_charts import funnel_figure, funnel_side, ranking_bars

LEVELS = {
    "districts": ("Quận/huyện", "Districts"),
    "wards": ("Phường/xã của một quận/huyện", "Wards of one district"),
    "all_wards": ("Mọi phường/xã", "All wards"),
    "area_wards": ("Phường/xã của một khu vực", "Wards of one area"),
    "departments": ("Sở, ban, ngành", "City departments"),
}
# Two-tier government (from July 2025): no districts; wards compared citywide or by area.
TWO_TIER_LEVELS = ("all_wards", "area_wards", "departments")
FORMER_LEVELS = ("districts", "wards", "all_wards", "departments")
METHODS = {
    "wilson": ("Công bằng: cận dưới Wilson (tính đến số lượng)", "Fair: Wilson lower bound (accounts for volume)"),
    "eb": ("Công bằng: Bayes thực nghiệm (co về mức chung)", "Fair: empirical Bayes (shrunk toward the overall rate)"),
    "raw": ("Tỷ lệ thô (không tính đến số lượng)", "Plain rate (ignores volume)"),
}
INDEX = "service_index"
BOTTOM = 3  # the weakest units a review meeting asks about first
STATUS = kpis.STATUS_MARKS  # a shape every font draws (no emoji: Debian's chromium has no emoji font)


@dataclass(frozen=True)
class RankingView:
    """What the tables need besides the counts: the units' names, the level ranked, the targets
    in force, the viewer's own units (None: all) and the words of the view."""

    names: dict
    level: str
    district_of: dict
    targets: pd.DataFrame
    own: frozenset | None
    file_stem: str
    level_words: str
    where: str
    group_words: tuple[str, str] = ("Quận/huyện", "District")  # what district_of names


def profile_link(v: RankingView, code: str) -> str | None:
    # Units outside the viewer's own appear only as district (or department) totals, with no link.
    return url_state.link("unit", unit=code) if v.own is None or code in v.own else None


def arrow(change) -> str:
    if pd.isna(change):
        return t("mới", "new")
    change = int(change)
    return f"▲ {change}" if change > 0 else (f"▼ {-change}" if change < 0 else "=")


def funnel_words(flag, kpi: kpis.Kpi) -> str:
    side = funnel_side(flag, kpi.higher_is_better)
    if side is None:
        return ""
    if side == "inside":
        return t("Trong giới hạn", "Inside the funnel")
    strong = str(flag).endswith("998")
    if side == "good":
        return t("Tốt hơn hẳn (ngoài 99,8%)", "Clearly better (outside 99.8%)") if strong else t("Tốt hơn (ngoài 95%)", "Better (outside 95%)")
    return t("Kém hẳn (ngoài 99,8%)", "Clearly worse (outside 99.8%)") if strong else t("Kém hơn (ngoài 95%)", "Worse (outside 95%)")


def status_text(target: tuple[float, float] | None, value, kpi: kpis.Kpi) -> str:
    """The value against its target (kpis.target_for), in words; "" without a target."""
    status = kpis.status_against_target(value, target[0], kpi.higher_is_better, target[1]) if target else None
    return f"{STATUS[status]} {t(*kpis.STATUS_WORDS[status])}" if status else ""


def bottom_marks(ranked: pd.DataFrame) -> list[bool]:
    """The last BOTTOM units that have data, in the table's order."""
    with_data = np.flatnonzero(ranked["rank"].notna().to_numpy())
    marks = np.zeros(len(ranked), dtype=bool)
    marks[with_data[-BOTTOM:]] = len(with_data) > BOTTOM
    return marks.tolist()


def weakest_note(v: RankingView, ranked: pd.DataFrame, marks: list[bool], shown) -> None:
    names = v.names
    weakest = [f"{names.get(r.unit_code, r.unit_code)} ({shown(r)})" for r in ranked[np.asarray(marks, dtype=bool)].itertuples()]
    if weakest:
        st.warning(t("Cần chú ý nhất: ", "Weakest: ") + "; ".join(reversed(weakest)), icon=":material/priority_high:")


def weak_note(v: RankingView, marked: pd.DataFrame, kpi: kpis.Kpi) -> None:
    """The units needing improvement under the one rule (ranking.mark_weak), worst first."""
    names = v.names
    weak = ranking.weakest(marked, kpi, BOTTOM)
    if len(weak):
        listed = "; ".join(
            f"{names.get(r.unit_code, r.unit_code)} ({kpis.format_value(r.value, kpi, lang())}, {fmt_int(r.volume, lang())} {kpi.volume_noun(lang())})"
            for r in weak.itertuples()
        )
        more = int(marked["weak"].sum()) - len(weak)
        tail = t(f" và {more} đơn vị khác", f" and {more} more") if more > 0 else ""
        st.warning(t("Cần cải thiện: ", "Needs improvement: ") + listed + tail, icon=":material/priority_high:")
    elif marked["rank"].notna().any():
        st.success(
            t("Không đơn vị nào cần cải thiện theo quy tắc dưới đây.", "No unit needs improvement under the rule below."), icon=":material/check_circle:"
        )
    st.caption(ranking.weak_rule_text(kpi, lang()))


def district_column(v: RankingView, ranked: pd.DataFrame) -> list[Col]:
    names, level, district_of = v.names, v.level, v.district_of
    if level not in ("all_wards", "area_wards"):
        return []
    return [Col(*v.group_words, [names.get(district_of.get(c), "") for c in ranked["unit_code"]])]


def index_table(v: RankingView, now: pd.DataFrame, before: pd.DataFrame, version: str) -> None:
    """The composite service index: score, points per group, rank change and the bars."""
    names, file_stem, level_words, where = v.names, v.file_stem, v.level_words, v.where
    # --- the composite service index ------------------------------------------------------
    chosen = service_index.get_version(version)
    scored = service_index.compute_index(now, chosen).assign(value=lambda f: f["score_100"])
    scored_before = service_index.compute_index(before, chosen)  # same version: comparable
    scored["rank"] = scored["score_100"].rank(method="min", ascending=False).astype("Int64")
    scored = scored.sort_values(["score_100", "max_possible"], ascending=[False, False], na_position="last").reset_index(drop=True)
    previous = scored_before.assign(rank=scored_before["score_100"].rank(method="min", ascending=False).astype("Int64"))
    moves = ranking.rank_change(scored[["unit_code", "rank"]], previous[["unit_code", "rank"]])
    volume = now.set_index("unit_code")["finished"] + now.set_index("unit_code")["ratings"]
    st.subheader(f"{t('Chỉ số phục vụ', 'Service index')} · {level_words} · {where}")
    st.caption(
        chosen.label(lang())
        + " · "
        + t(
            "Điểm quy về thang 100 trên các nhóm có số liệu; không so sánh điểm giữa các phiên bản công thức.",
            "Points scaled to 100 over the groups the data supports; scores of different formula versions are never compared.",
        )
    )
    excluded = [g for g in chosen.groups if not g.supported]
    if excluded:
        st.caption(" · ".join(f"{g.label(lang())}: {g.note(lang())}" for g in excluded))
    marks = bottom_marks(scored)
    weakest_note(v, scored, marks, lambda r: fmt_num(r.score_100, lang(), 1))
    columns = [
        Col("Hạng", "Rank", scored["rank"], "int"),
        Col("Thay đổi hạng", "Rank change", [arrow(c) for c in moves["change"]]),
        Col("Đơn vị", "Unit", [names.get(c, c) for c in scored["unit_code"]]),
        *district_column(v, scored),
        Col("Điểm (thang 100)", "Score (out of 100)", scored["score_100"], "num"),
        Col(
            "Điểm đạt / tối đa",
            "Points / maximum",
            [f"{fmt_num(a, lang(), 1)} / {fmt_num(b, lang(), 0)}" for a, b in zip(scored["total"], scored["max_possible"])],
        ),
    ]
    for group in chosen.groups:
        if not group.supported:
            continue
        num, den = scored[f"{group.id}_numerator"], scored[f"{group.id}_denominator"]
        rate, points = scored[f"{group.id}_rate"], scored[f"{group.id}_points"]
        shown = [
            (f"{fmt_int(a, lang())}/{fmt_int(b, lang())}" if pd.notna(a) else fmt_pct(r, lang()))
            + f" · {fmt_num(p, lang(), 1)}/{fmt_num(group.weight, lang(), 0)}"
            for a, b, r, p in zip(num, den, rate, points)
        ]
        columns.append(Col(group.label_vi, group.label_en, shown))
        columns += [
            Col(f"{group.label_vi}: tử số", f"{group.label_en}: numerator", num, "hidden"),
            Col(f"{group.label_vi}: mẫu số", f"{group.label_en}: denominator", den, "hidden"),
            Col(f"{group.label_vi}: tỷ lệ", f"{group.label_en}: rate", rate, "hidden"),
            Col(f"{group.label_vi}: điểm", f"{group.label_en}: points", points, "hidden"),
        ]
    columns += [Col("Phiên bản", "Version", scored["version"], "hidden"), Col("Hồ sơ", "Profile", [profile_link(v, c) for c in scored["unit_code"]], "link")]
    table(columns, file_stem, "index", highlight=marks)
    if len(scored) <= 40:
        bars = scored.assign(name=scored["unit_code"].map(names), volume=scored["unit_code"].map(volume))
        st.plotly_chart(ranking_bars(bars, None, lang(), t("Điểm (thang 100)", "Score (out of 100)")), key="index_bars")


@data.derived(max_entries=256)
def ranked_with_moves(now: pd.DataFrame, before: pd.DataFrame, kpi_id: str, method: str, targets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The units ranked in the one fair order with the weak ones marked, and each unit's move
    since the comparison period (metrics.ranking): once per table, not on every rerun."""
    kpi = kpis.get(kpi_id)
    ranked = ranking.mark_weak(ranking.rank_units(now, kpi, method=method), kpi, targets)
    return ranked, ranking.rank_change(ranked, ranking.rank_units(before, kpi, method=method))


def kpi_table(v: RankingView, now: pd.DataFrame, before: pd.DataFrame, kpi: kpis.Kpi, method: str) -> None:
    """One KPI of the catalog ranked fairly: the table, the weak units and the funnel plot."""
    names, targets, file_stem, level_words, where = v.names, v.targets, v.file_stem, v.level_words, v.where
    ranked, moves = ranked_with_moves(now, before, kpi.id, method, targets)
    p0 = ranked.attrs.get("p0", float("nan"))
    st.subheader(f"{kpi.label(lang())} · {level_words} · {where}", help=kpi.help(lang()))
    if kpi.kind == "rate":
        order_words = {
            "wilson": t(
                "Xếp theo cận dưới khoảng tin cậy Wilson 95%: đơn vị ít số liệu phải có bằng chứng mới xếp cao.",
                "Ordered by the 95% Wilson bound: a small unit needs evidence to rank high.",
            ),
            "eb": t(
                "Xếp theo tỷ lệ đã co về mức chung (Bayes thực nghiệm); khoảng là khoảng tin cậy hậu nghiệm 95%.",
                "Ordered by the rate shrunk toward the overall rate (empirical Bayes); the interval is the 95% credible interval.",
            ),
            "raw": t(
                "Xếp theo tỷ lệ thô, KHÔNG tính đến số lượng: đơn vị rất nhỏ có thể đứng đầu hay cuối do ngẫu nhiên.",
                "Ordered by the plain rate, NOT accounting for volume: tiny units may top or tail the table by chance.",
            ),
        }
        st.caption(order_words[method] + " " + t(f"Mức chung: {fmt_pct(p0, lang())}.", f"Overall: {fmt_pct(p0, lang())}."))
    marks = ranked["weak"].tolist()
    weak_note(v, ranked, kpi)
    score_words = {"wilson": ("Cận dưới Wilson", "Wilson bound"), "eb": ("Tỷ lệ đã co (Bayes)", "Shrunk rate (Bayes)"), "raw": ("Tỷ lệ thô", "Plain rate")}
    if kpi.kind == "rate" and not kpi.higher_is_better and method == "wilson":
        score_words["wilson"] = ("Cận trên Wilson", "Wilson upper bound")
    columns = [
        Col("Hạng", "Rank", ranked["rank"], "int"),
        Col("Thay đổi hạng", "Rank change", [arrow(c) for c in moves["change"]]),
        Col("Hạng kỳ trước", "Previous rank", moves["previous_rank"], "hidden"),
        Col("Đơn vị", "Unit", [names.get(c, c) for c in ranked["unit_code"]]),
        Col("Mã đơn vị", "Unit code", ranked["unit_code"], "hidden"),
        *district_column(v, ranked),
        Col(kpi.label_vi, kpi.label_en, ranked["value"], kpi.column_kind),
        Col(f"Số lượng ({kpi.volume_noun_vi})", f"Volume ({kpi.volume_noun_en})", ranked["volume"], "int"),
    ]
    if kpi.kind == "rate":
        columns += [
            Col("Cận dưới 95%", "95% low", ranked["low"], "pct"),
            Col("Cận trên 95%", "95% high", ranked["high"], "pct"),
            Col(*score_words[method], ranked["score"], "pct"),
            Col("Vị trí trên biểu đồ phễu", "Funnel position", [funnel_words(f, kpi) for f in ranked["funnel"]]),
        ]
    columns += [Col("Cần cải thiện", "Needs improvement", [ranking.weak_reason_words(r, lang()) for r in ranked["weak_reason"]])]
    target_of = kpis.target_lookup(targets, kpi.id)
    columns += [
        Col("So với mục tiêu", "Against target", [status_text(target_of(c), value, kpi) for value, c in zip(ranked["value"], ranked["unit_code"])]),
        Col("Hồ sơ", "Profile", [profile_link(v, c) for c in ranked["unit_code"]], "link"),
    ]
    table(columns, file_stem, "kpi", highlight=marks)

    if kpi.kind == "rate":
        st.subheader(t("Biểu đồ phễu", "Funnel plot"))
        st.caption(
            t(
                "Mỗi điểm là một đơn vị: tỷ lệ theo số lượng. Đường đứt: giới hạn 95% và 99,8% quanh mức chung (nhị thức chính xác). "
                "Chỉ đơn vị nằm ngoài phễu mới khác biệt thật sự; trong phễu là dao động ngẫu nhiên.",
                "Each point is a unit: its rate against its volume. Dashed lines: 95% and 99.8% limits around the overall rate (exact binomial). "
                "Only units outside the funnel differ beyond chance.",
            )
        )
        shown = ranked.assign(name=ranked["unit_code"].map(names))
        st.plotly_chart(funnel_figure(shown, kpi, p0, lang()), key="funnel")
    elif len(ranked) <= 40:
        st.plotly_chart(ranking_bars(ranked.assign(name=ranked["unit_code"].map(names)), kpi, lang(), kpi.label(lang())), key="bars")
