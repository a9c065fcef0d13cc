"""Append a pandas DataFrame to a table, fast, on SQLite and PostgreSQL.

`bulk_insert(connection, table, frame)` runs inside the caller's transaction (it takes a
SQLAlchemy `Connection`, never commits). Table and column names come from the schema's
`Table` object, never from user-provided strings; the frame's columns must be columns of
the table (anything else is an error, not a silent drop).

- SQLite: the raw DBAPI `executemany` with the INSERT that SQLAlchemy compiles from the
  Table (bound parameters). Values are converted the way SQLAlchemy's SQLite types store
  them: DateTime "YYYY-MM-DD HH:MM:SS.ffffff", Date "YYYY-MM-DD", Boolean 0/1, and
  NaN / NaT / None -> NULL.
- PostgreSQL (psycopg 3): `COPY table (cols) FROM STDIN` with `write_row`.

Columns of the table that the frame lacks get their scalar Python-side default
(`Column(default=...)`, e.g. `accepted_late=False`) when they have one; otherwise they are
left to the database (autoincrement ids, nullable columns).
Timezone-aware datetimes are stored as their wall-clock time (the schema's DateTime
columns are naive, local time).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Date, DateTime, Float, Index, Integer, Numeric, Table, inspect
from sqlalchemy.engine import Connection

__all__ = ["bulk_insert", "drop_secondary_indexes", "frame_to_rows"]


def _datetime_strings(series: pd.Series, unit: str) -> np.ndarray:
    """Object array of "YYYY-MM-DD HH:MM:SS.ffffff" (unit "us") or "YYYY-MM-DD" (unit "D"), None for missing."""
    values = series
    if not (pd.api.types.is_datetime64_any_dtype(values.dtype)):
        values = pd.to_datetime(values)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    array = values.to_numpy(dtype=f"datetime64[{unit}]" if unit == "D" else "datetime64[us]")
    missing = np.isnat(array)
    text = np.datetime_as_string(array, unit=unit)
    if unit != "D" and len(text):
        # "YYYY-MM-DDTHH:MM:SS.ffffff" -> space separator, in place on the fixed-width buffer.
        text = np.ascontiguousarray(text)
        width = text.dtype.itemsize // 4
        text.view(np.uint32).reshape(len(text), width)[:, 10] = ord(" ")
    out = text.astype(object)
    out[missing] = None
    return out


def _python_values(series: pd.Series, column, backend: str) -> list:
    """One column as a list of plain Python values the DBAPI driver accepts."""
    col_type = column.type
    missing = series.isna().to_numpy()
    if missing.all():  # an optional column nobody filled in (closed_at of a file of open dossiers)
        return [None] * len(series)
    if isinstance(col_type, DateTime):
        # Same text for COPY (text format): PostgreSQL parses the ISO timestamp.
        return _datetime_strings(series, "us").tolist()
    if isinstance(col_type, Date):
        return _datetime_strings(series, "D").tolist()
    if isinstance(col_type, Boolean):
        out = np.empty(len(series), dtype=object)
        present = ~missing
        flags = series[present].astype(bool).to_numpy()
        out[present] = flags.astype(np.int64).tolist() if backend == "sqlite" else flags.tolist()
        out[missing] = None
        return out.tolist()
    if isinstance(col_type, Integer):
        if not missing.any():
            return series.to_numpy().astype(np.int64).tolist()
        out = np.empty(len(series), dtype=object)
        out[~missing] = series[~missing].to_numpy().astype(np.int64).tolist()
        out[missing] = None
        return out.tolist()
    if isinstance(col_type, (Float, Numeric)):
        if not missing.any():
            return series.to_numpy(dtype=np.float64).tolist()
        out = np.empty(len(series), dtype=object)
        out[~missing] = series[~missing].to_numpy(dtype=np.float64).tolist()
        out[missing] = None
        return out.tolist()
    # Strings and anything else: Python objects, missing -> None.
    out = series.to_numpy(dtype=object)
    if missing.any():
        out = out.copy()
        out[missing] = None
    return out.tolist()


def frame_to_rows(table: Table, frame: pd.DataFrame, columns: Sequence[str], backend: str) -> Iterator[tuple]:
    """Rows (tuples in `columns` order) of plain Python values for the given backend, made
    as the driver takes them (a million tuples held at once cost time and memory)."""
    lists = []
    for name in columns:
        column = table.c[name]
        if name in frame.columns:
            lists.append(_python_values(frame[name], column, backend))
        else:
            default = column.default
            value = default.arg if default is not None and default.is_scalar else None
            if isinstance(column.type, Boolean) and value is not None and backend == "sqlite":
                value = int(bool(value))
            lists.append([value] * len(frame))
    return zip(*lists)


def _check_columns(table: Table, frame: pd.DataFrame) -> None:
    unknown = [str(name) for name in frame.columns if name not in table.c]
    if unknown:
        raise ValueError(f"columns not in table {table.name}: {', '.join(unknown)}")


def _default_filled(table: Table, frame: pd.DataFrame) -> list[str]:
    """Frame columns plus the table's columns with a scalar Python default that the frame lacks."""
    columns = [column.name for column in table.columns if column.name in frame.columns]
    for column in table.columns:
        if column.name not in frame.columns and column.default is not None and column.default.is_scalar:
            columns.append(column.name)
    return columns


def bulk_insert(connection: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Append `frame` to `table` inside the connection's current transaction; returns rows written."""
    _check_columns(table, frame)
    if frame.empty:
        return 0
    frame = frame.reset_index(drop=True)
    if table.name == "units" and "gso_code" not in frame.columns:
        frame = frame.assign(gso_code=frame["code"])  # as schema.units' default: the official code is the key
    if not connection.in_transaction():
        connection.begin()  # as Connection.execute would ("commit as you go"); the caller commits
    backend = connection.dialect.name
    columns = _default_filled(table, frame)
    if backend == "sqlite":
        compiled = table.insert().compile(dialect=connection.dialect, column_keys=columns)
        order = list(compiled.positiontup or [])
        missing = [name for name in order if name not in columns]
        if missing:
            raise ValueError(f"no values for {table.name} columns {', '.join(missing)}")
        rows = frame_to_rows(table, frame, order, backend)
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(str(compiled), rows)
        finally:
            cursor.close()
        return len(frame)
    if backend == "postgresql":
        from psycopg import sql

        rows = frame_to_rows(table, frame, columns, backend)
        target = sql.Identifier(table.schema, table.name) if table.schema else sql.Identifier(table.name)
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(target, sql.SQL(", ").join(sql.Identifier(name) for name in columns))
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        return len(frame)
    raise NotImplementedError(f"bulk_insert supports SQLite and PostgreSQL, not {backend}")


def drop_secondary_indexes(connection: Connection, tables: Sequence[Table]) -> list[Index]:
    """Drop the tables' non-unique indexes that exist; returns them to re-create (`index.create`).

    For large appends: building an index once from sorted keys is far quicker than updating
    it row by row. Unique indexes stay: they are the upserts' conflict targets."""
    inspector = inspect(connection)
    dropped = []
    for table in tables:
        existing = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda ix: ix.name):
            if index.name in existing and not index.unique:
                index.drop(connection)
                dropped.append(index)
    return dropped
