"""History restated on today's units: former units' counts moved along the crosswalk.

Counts are moved, never rates: a rate is computed after the move, from restated numerator
and denominator, so a split ward's share weighs in proportion to the dossiers it carried.
"""

from __future__ import annotations

import pandas as pd


def restate(counts: pd.DataFrame, moves: pd.DataFrame) -> pd.DataFrame:
    """`counts` (unit_code, any keys, numeric counts) onto the units the moves lead to.

    `moves` is domain.units.restatement (old_code, new_code, weight, exact). Rows of units
    that did not move stay as they are. The result has the same columns plus `exact`:
    False where a part of some figure came through an approximate (split) link.
    """
    numeric = [c for c in counts.columns if c != "unit_code" and pd.api.types.is_numeric_dtype(counts[c])]
    keys = [c for c in counts.columns if c not in numeric]
    moved = counts.merge(moves, left_on="unit_code", right_on="old_code", how="left")
    has_move = moved["new_code"].notna()
    moved["unit_code"] = moved["new_code"].where(has_move, moved["unit_code"])
    weight = moved["weight"].where(has_move, 1.0).astype(float)
    moved[numeric] = moved[numeric].astype(float).mul(weight, axis=0)
    moved["exact"] = moved["exact"].where(has_move, True).astype(bool)
    grouped = moved.groupby(keys, as_index=False, dropna=False).agg({**dict.fromkeys(numeric, "sum"), "exact": "all"})
    return grouped[[*counts.columns, "exact"]]
