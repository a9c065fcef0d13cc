"""Query rows into pandas frames, quickly: every cache miss of the app goes through here.

Both helpers exist because the obvious code was a large share of a cache miss's time at the
city's scale (issue 14, py-spy): pandas probes each SQLAlchemy Row for a mapping interface (an
exception raised inside SQLAlchemy per row, eight times slower than plain tuples), and
converting summed counts column by column cost more than reading them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd


def rows_frame(rows: Iterable, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of a query (a Result, or its rows) as a frame with `columns`."""
    return pd.DataFrame(list(map(tuple, rows)), columns=list(columns))


def int_counts(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """`frame` with the columns `names` as int64 counts, 0 where a sum had no row (NULL), an
    outer merge left a gap or the column is missing; its other columns first, as they were.
    PostgreSQL's sums arrive as Decimal: exact as floats below 2**53."""
    names = list(names)
    values = frame.reindex(columns=names).to_numpy(dtype="float64", na_value=0).astype("int64")
    rest = frame.drop(columns=[name for name in names if name in frame.columns])
    out = pd.concat([rest, pd.DataFrame(values, columns=names, index=frame.index)], axis=1)
    out.attrs = dict(frame.attrs)
    return out
