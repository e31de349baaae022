"""Writes of many page saves sent to PostgreSQL together.

A mass-message batch saves a hundred pages in one transaction, each save six or so INSERTs and
UPDATEs. One at a time that is a network round trip each, and on PostgreSQL those round trips,
not the work, were what a delivery cost (about 3 ms). A save given a :class:`WriteBuffer` takes
the ids of its new rows from ids reserved in advance (one ``nextval`` query per hundred) instead of
``RETURNING``, so nothing it writes has to be answered at once; the buffer sends each statement's
rows as one ``executemany`` when it is flushed: before anything reads a page it has written, and
before the transaction commits.

Only for PostgreSQL: SQLite is in-process, its statements cost no round trip.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Executable, Table, text

_RESERVE = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")


class WriteBuffer:
    def __init__(self, conn: Connection, block: int = 100) -> None:
        self.conn = conn
        self.block = max(1, block)
        self._ids: dict[str, list[int]] = {}
        # statement -> rows, in the order statements were first added (a dict keeps it)
        self._rows: dict[Executable, list[dict[str, Any]]] = {}
        self.pages: set[int] = set()  # pages with buffered writes

    def next_id(self, table: Table) -> int:
        free = self._ids.setdefault(table.name, [])
        if not free:
            reserved = self.conn.execute(_RESERVE, {"table": table.name, "n": self.block}).scalars()
            free.extend(sorted((int(i) for i in reserved), reverse=True))
        return free.pop()

    def add(self, statement: Executable, row: dict[str, Any], page_id: int | None = None) -> None:
        self._rows.setdefault(statement, []).append(row)
        if page_id is not None:
            self.pages.add(page_id)

    def flush(self) -> None:
        rows, self._rows = self._rows, {}
        self.pages.clear()
        # New rows first, then the updates, which may name them (a new page's latest revision).
        ordered = sorted(rows.items(), key=lambda item: not getattr(item[0], "is_insert", False))
        for statement, params in ordered:
            self.conn.execute(statement, params)

    def __bool__(self) -> bool:
        return bool(self._rows)
