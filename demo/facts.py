"""Facts, a chunk of days at a time: dossiers with their timeliness, and the ratings of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from demo.steps import make_steps
from domain import timeliness, vocab
from demo.days import _by_year, _counter_times, _months, _online_times, _seconds, holidays
from demo.catalogue import CALIBRATION_SINCE_REFORM, DEPARTMENTS_CURRENT, PROCEDURES_ENDED
from demo.catalogue import (
    ACCEPTED_LATE_SHARE,
    CALIBRATION,
    COUNTER_CHANNELS,
    DIGITISED_SHARE,
    ELECTRONIC_RETURN_SHARE,
    FIELDS,
    GROUPS,
    LATE_REASON,
    PAID_ONLINE_SHARE,
    PROCEDURES,
    REASONS,
    VERY_SATISFIED_SHARE,
)
from demo.model import (
    FORMER,
    LATE_MULT_SINCE_REFORM,
    SAT_MULT_SINCE_REFORM,
    Anomaly,
    INCIDENT_LATE_FLOOR,
    INCIDENT_SAT_MULT,
    LATE_SAT_MULT,
    MULTI_SUPPLEMENT_SAT_MULT,
    REMOTE_DAMPING,
    STUCK_SHARE,
    US_PER_HOUR,
    US_PER_MIN,
    WEAK_LATE_FLOOR,
    WEAK_LATE_MULT,
    WEAK_SAT_MULT,
    WEEKMASK_DUE,
    WEEKMASK_WORK,
)
from demo.plan import _Plan

# --- facts ----------------------------------------------------------------------------


@dataclass
class _Context:
    """Arrays the chunk generator looks up by position."""

    unit_codes: np.ndarray
    unit_gso: np.ndarray  # official codes: dossier codes are written with them
    unit_p: np.ndarray
    unit_level: np.ndarray
    dept_key: np.ndarray  # per unit: procedure pool key
    pools: dict  # key -> (procedure positions, weights in person, weights online)
    proc_codes: np.ndarray
    proc_field: np.ndarray  # field positions
    proc_days: np.ndarray
    proc_fee: np.ndarray
    field_codes: np.ndarray
    field_late: np.ndarray
    field_p1: np.ndarray
    field_p2: np.ndarray
    field_group: np.ndarray  # group positions
    off_codes: np.ndarray  # officers sorted by unit, group
    off_group_start: np.ndarray  # (units, groups)
    off_group_count: np.ndarray
    off_unit_start: np.ndarray
    off_unit_count: np.ndarray
    sat_mult: np.ndarray  # per unit
    weak: np.ndarray  # per unit bool
    inc_sat: np.ndarray  # (units, months) multiplier
    inc_late: np.ndarray  # (units, months) bool
    month0: int
    n_months: int
    holidays: np.ndarray
    snapshot: np.datetime64  # end of the range: the data's "now"
    calibration: dict  # rating shares per channel class (catalogue.toml) in this era
    late_mult: float  # late dossiers relative to the field's rate in this era


def _pool_members(key: str, era: str) -> list[int]:
    """Catalogue positions of the procedures a unit of pool `key` handles in `era`. Since the
    reform the district tier is gone (its procedures are the communes'), a new department
    handles those of the departments it took over, and some procedures left the city."""
    if era == FORMER:
        return [j for j, p in enumerate(PROCEDURES) if (p[7] == key) or (p[7] is None and p[3] == key)]
    sources = next((s for code, _, s in DEPARTMENTS_CURRENT if code == key), ())
    return [
        j
        for j, p in enumerate(PROCEDURES)
        if p[0] not in PROCEDURES_ENDED and ((p[7] in sources) or (key == vocab.WARD and p[7] is None and p[3] in (vocab.WARD, vocab.DISTRICT)))
    ]


def _context(plan: _Plan, dims: dict, anomalies: list[Anomaly], start: date, end: date, era: str) -> _Context:
    """What the chunk generator looks up for the days of one era (the units in force then)."""
    units = plan.units
    n_units = len(units)
    codes = units["code"].to_numpy()
    weight = plan.weights(era)
    pos = {code: i for i, code in enumerate(codes)}
    procedures = dims["procedures"]
    field_codes = np.array([f[0] for f in FIELDS])
    field_pos = {code: i for i, code in enumerate(field_codes)}
    proc_field = np.array([field_pos[f] for f in procedures["field_code"]])
    dept_key = units["pool"].to_numpy().astype(object)
    pools = {}
    for key in sorted(set(dept_key[weight > 0])):
        members = _pool_members(key, era)
        if not members:
            continue
        w = np.array([PROCEDURES[j][4] for j in members], dtype=float)
        aff = np.array([PROCEDURES[j][5] for j in members], dtype=float)
        pools[key] = (np.array(members), w / w.sum(), (w * aff) / (w * aff).sum())

    officers = dims["officers"]
    officers = officers[officers[f"pos_{era}"] >= 0].assign(unit_pos=lambda f: f[f"pos_{era}"])
    officers["group_pos"] = officers["group"].map({g: i for i, g in enumerate(GROUPS)})
    officers = officers.sort_values(["unit_pos", "group_pos", "code"], kind="stable").reset_index(drop=True)
    off_group_count = np.zeros((n_units, len(GROUPS)), dtype=np.int64)
    np.add.at(off_group_count, (officers["unit_pos"].to_numpy(), officers["group_pos"].to_numpy()), 1)
    off_unit_count = off_group_count.sum(1)
    off_unit_start = np.concatenate([[0], np.cumsum(off_unit_count)[:-1]])
    off_group_start = off_unit_start[:, None] + np.concatenate([np.zeros((n_units, 1), dtype=np.int64), np.cumsum(off_group_count, 1)[:, :-1]], axis=1)

    months = _months(start, end)
    month_pos = {m: i for i, m in enumerate(months)}
    sat_mult = np.ones(n_units)
    weak = np.zeros(n_units, dtype=bool)
    inc_sat = np.ones((n_units, len(months)))
    inc_late = np.zeros((n_units, len(months)), dtype=bool)
    # Since the reform the city's non-satisfied share is a third of 2019's or less: planted
    # weaknesses keep their size in points (a weak ward about 95-97 % satisfied).
    scale = 1.0 if era == FORMER else SAT_MULT_SINCE_REFORM
    for anomaly in anomalies:
        u = pos[anomaly.unit_code]
        if weight[u] == 0:  # a unit of the other era
            continue
        if anomaly.kind == "weak_ward":
            weak[u] = True
            sat_mult[u] = WEAK_SAT_MULT * scale
            continue
        cols = [month_pos[m] for m in anomaly.months]
        if anomaly.affects_satisfaction:
            inc_sat[u, cols] = INCIDENT_SAT_MULT * scale
        if anomaly.affects_timeliness:
            inc_late[u, cols] = True

    return _Context(
        unit_codes=codes.astype(object),
        unit_gso=units["gso_code"].to_numpy().astype(object),
        unit_p=weight / weight.sum(),
        unit_level=units["level"].to_numpy(),
        dept_key=dept_key,
        pools=pools,
        proc_codes=procedures["code"].to_numpy().astype(object),
        proc_field=proc_field,
        proc_days=procedures["legal_days"].to_numpy().astype(np.int64),
        proc_fee=np.array([p[6] for p in PROCEDURES]),
        field_codes=field_codes.astype(object),
        field_late=np.array([f[3] for f in FIELDS]),
        field_p1=np.array([f[4] for f in FIELDS]),
        field_p2=np.array([f[5] for f in FIELDS]),
        field_group=np.array([GROUPS.index(f[6]) for f in FIELDS]),
        off_codes=officers["code"].to_numpy().astype(object),
        off_group_start=off_group_start,
        off_group_count=off_group_count,
        off_unit_start=off_unit_start,
        off_unit_count=off_unit_count,
        sat_mult=sat_mult,
        weak=weak,
        inc_sat=inc_sat,
        inc_late=inc_late,
        month0=int(np.datetime64(months[0], "M").astype(np.int64)),
        n_months=len(months),
        holidays=holidays(start, end),
        snapshot=np.datetime64(end, "D").astype("datetime64[us]") + np.timedelta64(24 * US_PER_HOUR - 1_000_000, "us"),
        calibration=CALIBRATION if era == FORMER else CALIBRATION_SINCE_REFORM,
        late_mult=1.0 if era == FORMER else LATE_MULT_SINCE_REFORM,
    )


def _month_index(ctx: _Context, times: np.ndarray) -> np.ndarray:
    return np.clip(times.astype("datetime64[M]").astype(np.int64) - ctx.month0, 0, ctx.n_months - 1)


def _officers_for(ctx: _Context, rng: np.random.Generator, unit: np.ndarray, group: np.ndarray | None) -> np.ndarray:
    u = rng.random(len(unit))
    if group is None:
        start, count = ctx.off_unit_start[unit], ctx.off_unit_count[unit]
    else:
        start, count = ctx.off_group_start[unit, group], ctx.off_group_count[unit, group]
        fallback = count == 0
        start = np.where(fallback, ctx.off_unit_start[unit], start)
        count = np.where(fallback, ctx.off_unit_count[unit], count)
    return ctx.off_codes[start + np.minimum((u * count).astype(np.int64), count - 1)]


def _busday(days: np.ndarray, offsets, ctx: _Context, weekmask: str, roll: str = "forward") -> np.ndarray:
    return np.busday_offset(days.astype("datetime64[D]"), offsets, roll=roll, weekmask=weekmask, holidays=ctx.holidays)


def _day_us(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[us]")


def _make_chunk(
    ctx: _Context,
    rng: np.random.Generator,
    days: np.ndarray,
    counts: np.ndarray,
    counter_weight: np.ndarray,
    dossier_seq0: int,
    rating_target: int,
    steps_from=None,
    steps_rng=None,
):
    """Dossiers received on `days` (counts per day x channel) and their ratings, plus walk-in ratings."""
    snapshot = ctx.snapshot
    # --- receipt ------------------------------------------------------------------------
    day_pos = np.concatenate([np.repeat(np.arange(len(days)), counts[:, c]) for c in range(3)])
    channel = np.repeat(np.array([vocab.IN_PERSON, vocab.ONLINE, vocab.POSTAL], dtype=np.int64), counts.sum(0))
    rday = days[day_pos]
    online = channel == vocab.ONLINE
    received = np.empty(len(rday), dtype="datetime64[us]")
    received[~online] = _counter_times(rng, rday[~online])
    received[online] = _online_times(rng, rday[online])
    order = np.argsort(received, kind="stable")
    received, channel, online = received[order], channel[order], online[order]
    n = len(received)
    unit = rng.choice(len(ctx.unit_p), size=n, p=ctx.unit_p)

    proc = np.empty(n, dtype=np.int64)
    keys = ctx.dept_key[unit]
    for key, (members, w_in, w_on) in ctx.pools.items():
        for is_online, weights in ((False, w_in), (True, w_on)):
            mask = (keys == key) & (online == is_online)
            if mask.any():
                proc[mask] = members[rng.choice(len(members), size=int(mask.sum()), p=weights)]
    field = ctx.proc_field[proc]
    legal = ctx.proc_days[proc]
    month = _month_index(ctx, received)
    rday = received.astype("datetime64[D]")

    # --- due date and supplements -----------------------------------------------------------
    tod_us = (received - _day_us(rday)).astype(np.int64)
    start_day = _busday(rday, 0, ctx, WEEKMASK_DUE)
    # Same-day procedures received after 15:00, and anything received after 16:30 (online at
    # night), count from the next working day.
    same_day = start_day == rday
    next_day = same_day & ((tod_us >= 16 * US_PER_HOUR + 30 * US_PER_MIN) | ((legal == 0) & (tod_us >= 15 * US_PER_HOUR)))
    start_day = np.where(next_day, _busday(start_day, 1, ctx, WEEKMASK_DUE), start_day)
    due_day = _busday(start_day, legal, ctx, WEEKMASK_DUE)
    due_at = _day_us(due_day) + np.timedelta64(17 * US_PER_HOUR, "us")
    r = rng.random(n)
    p1, p2 = ctx.field_p1[field], ctx.field_p2[field]
    supp_count = np.where(r < p2, 2 + (rng.random(n) < 0.25), np.where(r < p1 + p2, 1, 0)).astype(np.int64)
    supp_days = np.where(supp_count > 0, rng.integers(1, 8, n) * supp_count + rng.integers(0, 4, n), 0)
    eff_due = due_day + supp_days.astype("timedelta64[D]")

    # --- processing: early / on the due day / late ---------------------------------------
    years = rday.astype("datetime64[Y]").astype(np.int64) + 1970
    trend = np.clip(1.25 - 0.1 * (years - 2021), 0.6, 1.5)
    p_late = ctx.field_late[field] * trend * ctx.late_mult
    weak = ctx.weak[unit]
    p_late = np.where(weak, np.maximum(p_late * WEAK_LATE_MULT, WEAK_LATE_FLOOR), p_late)
    incident_late = ctx.inc_late[unit, month]
    p_late = np.where(incident_late, np.maximum(p_late, INCIDENT_LATE_FLOOR), p_late)
    late = rng.random(n) < p_late

    window = np.busday_count(start_day, eff_due, weekmask=WEEKMASK_WORK, holidays=ctx.holidays)
    window = np.maximum(window, 0)
    frac = np.where(rng.random(n) < 0.22, 1.0, rng.random(n) ** 1.6)
    k = np.minimum(np.floor(frac * (window + 1)).astype(np.int64), window)
    on_time_day = _busday(start_day, k, ctx, WEEKMASK_WORK)
    on_time_day = np.minimum(on_time_day, eff_due)
    on_time_day = _busday(on_time_day, 0, ctx, WEEKMASK_WORK, roll="backward")
    on_time_day = np.maximum(on_time_day, start_day)
    extra = rng.geometric(0.35, n)
    extra = np.where(incident_late, rng.geometric(0.08, n), extra)
    stuck = rng.random(n) < STUCK_SHARE  # the long tail behind the "đang quá hạn" list
    extra = np.where(stuck, extra + rng.integers(10, 120, n), extra)
    late_day = _busday(eff_due, extra, ctx, WEEKMASK_WORK)
    finish_day = np.where(late, late_day, on_time_day)
    finished = _counter_times(rng, finish_day, margin_min=0)
    finished = np.maximum(finished, received + np.timedelta64(15 * US_PER_MIN, "us"))

    # --- return of the result ----------------------------------------------------------
    elec_share = _by_year(ELECTRONIC_RETURN_SHARE, rday)
    mode = np.where(
        channel == vocab.POSTAL,
        2,
        np.where(online & (rng.random(n) < elec_share), 1, np.where(rng.random(n) < 0.03, 2, 0)),
    )  # 0 counter, 1 electronic, 2 postal
    wait = rng.geometric(0.45, n) - 1
    wait = np.where(mode == 2, rng.integers(2, 5, n), wait)
    ret_day = _busday(finished.astype("datetime64[D]"), wait, ctx, WEEKMASK_WORK)
    returned = _counter_times(rng, ret_day)
    too_early = returned <= finished
    if too_early.any():
        returned[too_early] = _counter_times(rng, _busday(ret_day[too_early], 1, ctx, WEEKMASK_WORK))
    returned = np.where(mode == 1, finished + _seconds(rng.integers(60, 1800, n) * 1_000_000).astype("timedelta64[us]"), returned)
    never_recorded = rng.random(n) < 0.04  # status 9: result ready, hand-over not recorded

    # --- status at the snapshot --------------------------------------------------------
    r = rng.random(n)
    closed_kind = np.where(online & (r < 0.02), 3, np.where(r < 0.024, 7, np.where(r < 0.026, 8, 0)))
    closed_at = received + _seconds(rng.uniform(0.2, 5.0, n) * 24 * US_PER_HOUR).astype(np.int64).astype("timedelta64[us]")
    is_closed = (closed_kind > 0) & (closed_at <= snapshot)
    is_finished = ~is_closed & (finished <= snapshot)
    is_returned = is_finished & ~never_recorded & (returned <= snapshot)
    fee = ctx.proc_fee[proc]
    r = rng.random(n)
    open_status = np.where(
        online & (received > snapshot - np.timedelta64(24 * US_PER_HOUR, "us")) & (r < 0.5),
        1,
        np.where((supp_count > 0) & (r < 0.5), 5, np.where(fee & (r > 0.9), 6, np.where(r < 0.3, 2, 4))),
    )
    status = np.where(is_closed, closed_kind, np.where(is_returned, 10, np.where(is_finished, 9, open_status)))
    nat = np.datetime64("NaT", "us")
    finished_at = np.where(is_finished, finished, nat)
    returned_at = np.where(is_returned, returned, nat)

    # --- timeliness (the domain rule) and apology letters ---------------------------------
    frame = pd.DataFrame(
        {
            "due_at": due_at,
            "finished_at": finished_at,
            "supplement_count": supp_count,
            "supplement_days": supp_days,
        }
    )
    klass = timeliness.classify(frame, pd.Timestamp(snapshot)).to_numpy()
    late_class = np.isin(klass, [timeliness.LATE, timeliness.OVERDUE]) & ~is_closed
    troubled = weak | incident_late
    has_letter = late_class & (rng.random(n) < np.where(troubled, 0.72, 0.88))
    letter_in_time = rng.random(n) < 0.85
    back = rng.integers(0, 3, n)
    before = _busday(_busday(eff_due, 0, ctx, WEEKMASK_WORK, roll="backward"), -back, ctx, WEEKMASK_WORK)
    after = _busday(eff_due, rng.integers(1, 6, n), ctx, WEEKMASK_WORK)
    letter_day = np.where(letter_in_time, before, after)
    letter = _counter_times(rng, letter_day, margin_min=0)
    letter = np.maximum(letter, received + np.timedelta64(US_PER_HOUR, "us"))
    letter = np.where(is_finished, np.minimum(letter, finished), letter)
    has_letter &= letter <= snapshot
    apology_at = np.where(has_letter, letter, nat)

    # --- online extras -----------------------------------------------------------------
    r = rng.random(n)
    accepted_late = online & (r < _by_year(ACCEPTED_LATE_SHARE, rday) * np.where(incident_late | weak, 2.5, 1.0))
    paid_online = online & fee & (rng.random(n) < _by_year(PAID_ONLINE_SHARE, rday))
    digitised = rng.random(n) < _by_year(DIGITISED_SHARE, rday)
    officer = _officers_for(ctx, rng, unit, ctx.field_group[field])
    closed_time = np.where(is_closed, closed_at, nat)
    # updated_at (the export's own bookkeeping) stays empty: nothing reads it from the
    # database, and at the city's scale it cost 115 MB.

    seq = dossier_seq0 + np.arange(1, n + 1)
    unit_codes = ctx.unit_codes[unit]
    day_text = pd.Series(np.datetime_as_string(rday, unit="D")).str.replace("-", "", regex=False).str.slice(2)
    codes = (pd.Series(ctx.unit_gso[unit]) + "-" + day_text + "-" + pd.Series(seq).astype(str).str.zfill(8)).to_numpy(dtype=object)
    dossiers = pd.DataFrame(
        {
            "code": _text(codes),
            "unit_code": _text(unit_codes),
            "procedure_code": _text(ctx.proc_codes[proc]),
            "field_code": _text(ctx.field_codes[field]),
            "channel": channel,
            "received_at": received,
            "accepted_late": accepted_late,
            "due_at": due_at,
            "finished_at": finished_at,
            "returned_at": returned_at,
            "status": status,
            "supplement_count": supp_count,
            "supplement_days": supp_days,
            "apology_issued_at": apology_at,
            "paid_online": paid_online,
            "digitised": digitised,
            "officer_code": _text(officer),
            "closed_at": np.where(is_closed & (closed_kind != 3), closed_time, nat),
        }
    )

    # --- processing steps (all dossiers, or those received since steps_from and the open ones)
    is_open = ~is_finished & ~is_closed
    with_steps = ~is_closed & (is_open | (received >= steps_from) if steps_from is not None else ~is_closed)
    step_rng = steps_rng if steps_rng is not None else np.random.default_rng()
    pick = np.flatnonzero(with_steps)
    steps = make_steps(
        step_rng,
        codes=codes[pick],
        unit_codes=unit_codes[pick],
        field_codes=ctx.field_codes[field[pick]],
        received=received[pick],
        due_at=due_at[pick],
        finished_at=finished_at[pick],
        is_open=is_open[pick],
        late=late_class[pick],
        officer=officer[pick],
        leader=ctx.off_codes[ctx.off_unit_start[unit[pick]]],
        other_officer=_officers_for(ctx, step_rng, unit[pick], None),
        snapshot=snapshot,
    )

    # --- ratings of returned dossiers ----------------------------------------------------
    p_rate = np.array([0.95, 0.45, 0.3])[mode]
    rated = is_returned & (rng.random(n) < p_rate)
    r = rng.random(n)
    rating_channel = np.where(
        mode == 0,
        np.where(r < 0.6, "kiosk", "tablet"),
        np.where(mode == 1, np.where(r < 0.6, "web", np.where(r < 0.93, "app", "sms")), np.where(r < 0.5, "web", "sms")),
    )
    delay = np.where(
        mode == 0,
        rng.uniform(0.5, 8.0, n) * US_PER_MIN,
        rng.exponential(18.0, n) * US_PER_HOUR + 5 * US_PER_MIN,
    )
    rated_at = returned + _seconds(delay.astype(np.int64)).astype("timedelta64[us]")
    rated &= rated_at <= snapshot
    cap = int(0.8 * rating_target)  # at the city's scale not every returned dossier is rated
    if rated.sum() > cap:
        keep = np.sort(rng.choice(np.flatnonzero(rated), size=cap, replace=False))
        rated = np.zeros(n, dtype=bool)
        rated[keep] = True
    linked = pd.DataFrame(
        {
            "unit": unit[rated],
            "officer_code": officer[rated],
            "dossier_code": codes[rated],
            "channel": rating_channel[rated],
            "rated_at": rated_at[rated],
            "late": late_class[rated],
            "multi_supplement": supp_count[rated] > 1,
        }
    )

    # --- walk-in ratings at the counter (no dossier) --------------------------------------
    n_walk = max(0, rating_target - len(linked))
    p_day = counter_weight / counter_weight.sum() if counter_weight.sum() > 0 else None
    walk_days = days[rng.choice(len(days), size=n_walk, p=p_day)] if n_walk and p_day is not None else days[:0]
    n_walk = len(walk_days)
    walk_unit = rng.choice(len(ctx.unit_p), size=n_walk, p=ctx.unit_p)
    walk = pd.DataFrame(
        {
            "unit": walk_unit,
            "officer_code": _officers_for(ctx, rng, walk_unit, None),
            "dossier_code": np.full(n_walk, None, dtype=object),
            "channel": np.where(rng.random(n_walk) < 0.6, "kiosk", "tablet"),
            "rated_at": _counter_times(rng, walk_days),
            "late": np.zeros(n_walk, dtype=bool),
            "multi_supplement": np.zeros(n_walk, dtype=bool),
        }
    )
    ratings = pd.concat([linked, walk], ignore_index=True)
    ratings = ratings.sort_values("rated_at", kind="stable").reset_index(drop=True)
    ratings = _rating_levels(ctx, rng, ratings)
    return dossiers, ratings, steps


def _text(values) -> pd.Series:
    """Strings as a plain object column: no round trip through pandas' Arrow string type."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


def _rating_levels(ctx: _Context, rng: np.random.Generator, ratings: pd.DataFrame) -> pd.DataFrame:
    n = len(ratings)
    unit = ratings["unit"].to_numpy()
    rated_at = ratings["rated_at"].to_numpy().astype("datetime64[us]")
    late = ratings["late"].to_numpy()
    mult = ctx.sat_mult[unit] * ctx.inc_sat[unit, _month_index(ctx, rated_at)]
    mult = mult * np.where(late, LATE_SAT_MULT, 1.0) * np.where(ratings["multi_supplement"].to_numpy(), MULTI_SUPPLEMENT_SAT_MULT, 1.0)
    counter = np.isin(ratings["channel"].to_numpy(), COUNTER_CHANNELS)
    p_neutral = np.empty(n)
    p_dissat = np.empty(n)
    p_very = np.empty(n)
    for cls, mask in (("counter", counter), ("remote", ~counter)):
        if not mask.any():
            continue
        _, neutral, dissat = ctx.calibration[cls]
        m = mult[mask]
        if cls == "remote":
            # Remote ratings start from a 5 % non-satisfied base: damp the multiplier so a weak
            # ward stays around 95-97 % overall whatever the channel mix of the year.
            m = 1.0 + (m - 1.0) * REMOTE_DAMPING
        m = m / m.mean()  # keeps the city-level shares at the calibration
        p_neutral[mask] = neutral * m
        p_dissat[mask] = dissat * m
        p_very[mask] = VERY_SATISFIED_SHARE[cls]
    scale = np.minimum(1.0, 0.6 / np.maximum(p_neutral + p_dissat, 1e-12))
    p_neutral, p_dissat = p_neutral * scale, p_dissat * scale
    r = rng.random(n)
    satisfied_r = (r - p_dissat - p_neutral) / np.maximum(1 - p_dissat - p_neutral, 1e-12)
    level = np.where(
        r < p_dissat,
        vocab.DISSATISFIED,
        np.where(r < p_dissat + p_neutral, vocab.NEUTRAL, np.where(satisfied_r < p_very, vocab.VERY_SATISFIED, vocab.SATISFIED)),
    ).astype(np.int64)
    dissatisfied = level == vocab.DISSATISFIED
    with_reason = dissatisfied & (rng.random(n) < 0.4)
    reasons = np.array(REASONS, dtype=object)[rng.integers(0, len(REASONS), n)]
    reasons = np.where(late & (rng.random(n) < 0.5), LATE_REASON, reasons)
    reason = np.where(with_reason, reasons, None)
    return pd.DataFrame(
        {
            "unit_code": _text(ctx.unit_codes[unit]),
            "officer_code": _text(ratings["officer_code"].to_numpy(dtype=object)),
            "dossier_code": _text(ratings["dossier_code"].to_numpy(dtype=object)),
            "channel": _text(ratings["channel"].to_numpy(dtype=object)),
            "level": level,
            "rated_at": rated_at,
            "reason": _text(reason),
        }
    )
