"""Prepared statements run the same SQL as Connection.execute would, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from wikipost.db.prepared import Prepared
from wikipost.db.schema.mail import emailuser_requests
from wikipost.wiki import Wiki

_INSERT = Prepared(
    insert(emailuser_requests)
    .values(dedupe_key=bindparam("key"), created=bindparam("created"))
    .returning(emailuser_requests.c.created)
)
_BY_KEY = Prepared(
    select(emailuser_requests.c.dedupe_key, emailuser_requests.c.created).where(
        emailuser_requests.c.dedupe_key == bindparam("key")
    )
)
# A literal value (the 5) beside a bound one: the literal travels with the statement.
_EITHER = Prepared(
    select(emailuser_requests.c.dedupe_key)
    .where(or_(emailuser_requests.c.created == 5, emailuser_requests.c.created == bindparam("other")))
    .order_by(emailuser_requests.c.dedupe_key)
)
_TOUCH = Prepared(
    update(emailuser_requests)
    .where(emailuser_requests.c.created < bindparam("before"))
    .values(created=bindparam("now"))
)


def test_rows_scalars_and_rowcounts(any_wiki: Wiki) -> None:
    with any_wiki.db.write() as conn:
        assert _INSERT.scalar(conn, {"key": "a", "created": 5}) == 5
        _INSERT.run(conn, {"key": "b", "created": 7})
        _INSERT.run(conn, {"key": "c", "created": 9})
    with any_wiki.db.read() as conn:
        row = _BY_KEY.first(conn, {"key": "b"})
        assert (row.dedupe_key, row.created) == ("b", 7)
        assert _BY_KEY.first(conn, {"key": "zz"}) is None
        assert [r.dedupe_key for r in _EITHER.all(conn, {"other": 9})] == ["a", "c"]
    with any_wiki.db.write() as conn:
        assert _TOUCH.run(conn, {"before": 8, "now": 100}) == 2
    with any_wiki.db.read() as conn:
        assert _BY_KEY.scalar(conn, {"key": "a"}) == "a"
        assert _BY_KEY.first(conn, {"key": "a"}).created == 100


def test_a_failed_statement_raises_sqlalchemys_exception_and_rolls_back(any_wiki: Wiki) -> None:
    with any_wiki.db.write() as conn:
        _INSERT.run(conn, {"key": "dup", "created": 1})
    with pytest.raises(IntegrityError):
        with any_wiki.db.write() as conn:
            _INSERT.run(conn, {"key": "other", "created": 2})
            _INSERT.run(conn, {"key": "dup", "created": 3})
    with any_wiki.db.read() as conn:
        assert _BY_KEY.first(conn, {"key": "other"}) is None
        assert _BY_KEY.first(conn, {"key": "dup"}).created == 1
    # The write connection is usable after the failure.
    with any_wiki.db.write() as conn:
        _INSERT.run(conn, {"key": "after", "created": 4})
    with any_wiki.db.read() as conn:
        assert _BY_KEY.first(conn, {"key": "after"}).created == 4


def test_expanding_in_parameters_are_refused(any_wiki: Wiki) -> None:
    statement = Prepared(
        select(emailuser_requests.c.dedupe_key).where(emailuser_requests.c.dedupe_key.in_(["a", "b"]))
    )
    with any_wiki.db.read() as conn, pytest.raises(ValueError, match="expanding IN"):
        statement.all(conn)
