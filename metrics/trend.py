"""Roll day or month counts up into trend buckets (week, month, quarter, reporting month ...).

Flow counts (ratings, dossiers received/finished) are summed over a bucket; the backlog is
a snapshot, so a bucket takes the one at its last day.
"""

from __future__ import annotations

import pandas as pd

from domain.vocab import BACKLOG_COUNTS
from metrics.periods import Period, bucket_of, trend_buckets

# The grain of the summary table a trend of each grain reads: whole calendar months roll
# up from the monthly table; anything cut inside a month needs days.
SOURCE_GRAIN = {"day": "day", "week": "day", "reporting_month": "day", "month": "month", "quarter": "month", "half": "month", "year": "month"}


# The grain of "the last 12 periods" for a period of each kind; longer or custom periods use months.
TREND_GRAIN_OF_KIND = {"week": "week", "month": "month", "quarter": "quarter", "reporting_month": "reporting_month", "year": "year"}


def trend_grain(period: Period) -> str:
    return TREND_GRAIN_OF_KIND.get(period.kind, "month")


def buckets_for(period: Period, grain: str, n: int) -> list[Period]:
    return trend_buckets(period.end, grain, n)


def bucketed(flows: pd.DataFrame, backlog: pd.DataFrame, grain: str) -> pd.DataFrame:
    """One row per bucket start (`period`, a Timestamp) with summed flows and the closing backlog."""
    flow_columns = [c for c in flows.columns if c != "period"]
    flows = flows.assign(period=pd.to_datetime(bucket_of(flows["period"], grain)))
    totals = flows.groupby("period", as_index=False)[flow_columns].sum()
    if backlog.empty:
        return totals.assign(**dict.fromkeys(BACKLOG_COUNTS, 0))
    snapshot = backlog.sort_values("period").assign(bucket=lambda f: pd.to_datetime(bucket_of(f["period"], grain)))
    closing = snapshot.groupby("bucket", as_index=False).last()[["bucket", *BACKLOG_COUNTS]].rename(columns={"bucket": "period"})
    frame = totals.merge(closing, on="period", how="left")
    frame[list(BACKLOG_COUNTS)] = frame[list(BACKLOG_COUNTS)].fillna(0).astype("int64")
    return frame


def trend_frame(buckets: list[Period], flows: pd.DataFrame, backlog: pd.DataFrame, grain: str, lang: str) -> pd.DataFrame:
    """One row per bucket, oldest first, with its label; a bucket with no data has zero counts."""
    frame = pd.DataFrame({"period": [pd.Timestamp(b.start) for b in buckets], "label": [b.label(lang) for b in buckets]})
    counts = bucketed(flows, backlog, grain)
    frame = frame.merge(counts, on="period", how="left")
    count_columns = [c for c in counts.columns if c != "period"]
    frame[count_columns] = frame[count_columns].fillna(0).astype("int64")
    return frame
