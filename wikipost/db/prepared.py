"""Prepared statements for hot paths: a Core statement compiled once per dialect, run on the
connection's raw DBAPI cursor.

``Connection.execute`` spends 50–70 µs per statement on bookkeeping (cache key, parameter
processing, result metadata), several times what SQLite needs for an indexed lookup, and an
``emailuser`` request runs about ten statements. A :class:`Prepared` keeps the statement written
in Core — one definition of table and column names for SQLite and PostgreSQL alike — and skips
that bookkeeping at run time. It runs inside whatever transaction the SQLAlchemy connection has.

Limits, checked when a statement is first compiled: no expanding ``IN`` parameters, and column
types that need no result processing (integers, floats, text, bytes; SQLite hands booleans back
as 0/1, so callers apply ``bool``).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from wikipost.db.engine import raw_connection


class _Compiled(NamedTuple):
    sql: str
    defaults: dict[str, Any]  # values of the statement's literal binds
    order: tuple[str, ...] | None  # bind names in order, for positional paramstyles


class Prepared:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        columns = getattr(statement, "selected_columns", None)
        if columns is None:
            returning = getattr(statement, "_returning", ())
            columns = returning
        fields = [c.key for c in columns] if columns else []
        self.row: Any = namedtuple("Row", fields, rename=True) if fields else None
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        done = self._compiled.get(dialect.name)
        if done is not None:
            return done
        compiled = self.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        sql = str(compiled)
        if "POSTCOMPILE" in sql:
            raise ValueError("Prepared statements cannot have expanding IN parameters")
        # Literal values of the statement; explicit bindparam()s are left to the caller.
        defaults = dict(compiled.construct_params(_check=False) or {})
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        done = _Compiled(sql, defaults, order)
        self._compiled[dialect.name] = done
        return done

    def _cursor(self, conn: Connection, params: Mapping[str, Any] | None) -> Any:
        sql, defaults, order = self._compile(conn)
        values: Mapping[str, Any] = {**defaults, **params} if params else defaults
        bound: Any = tuple(values[name] for name in order) if order is not None else values
        cursor = raw_connection(conn).cursor()
        try:
            cursor.execute(sql, bound)
        except conn.dialect.loaded_dbapi.Error as err:
            cursor.close()
            # The same exception classes as Connection.execute raises (IntegrityError, ...).
            raise DBAPIError.instance(sql, bound, err, conn.dialect.loaded_dbapi.Error) from err
        return cursor

    def all(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        cursor = self._cursor(conn, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        make = self.row
        return [make._make(r) for r in rows] if make is not None else rows

    def _fetchone(self, conn: Connection, params: Mapping[str, Any] | None) -> Any:
        cursor = self._cursor(conn, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        row = self._fetchone(conn, params)
        if row is None or self.row is None:
            return row
        return self.row._make(row)

    def scalar(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        row = self._fetchone(conn, params)
        return None if row is None else row[0]

    def run(self, conn: Connection, params: Mapping[str, Any] | None = None) -> int:
        """Execute a statement without result rows; the rowcount."""
        cursor = self._cursor(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()


__all__ = ["Prepared"]
