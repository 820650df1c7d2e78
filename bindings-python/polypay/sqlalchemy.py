"""The exactly-once ledger on SQLAlchemy (Flask, FastAPI, or any app with an Engine).

.. code-block:: python

    from polypay.sqlalchemy import SqlAlchemyLedger

    ledger = SqlAlchemyLedger(engine)
    ledger.create_table()          # or add polypay.sqlalchemy.metadata to your migrations

    verdict, result = ledger.apply(event.ledger_event, lambda conn: mark_paid(conn, event))

The handler gets the ledger's ``Connection``: write your own tables through it (or through
``Session(bind=conn)``), and your change commits or rolls back together with the ledger's row.
Concurrent deliveries of one entity wait on that row (``SELECT … FOR UPDATE``; on SQLite, on the
database's write lock, taken by the first statement), so every process of the app applies each
state change once. The table is the one the Django, Node and Kotlin ledgers use."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Optional, Tuple, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    and_,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ._native import LedgerEvent
from .ledger import Verdict

__all__ = ["SqlAlchemyLedger", "metadata", "ledger_table"]

T = TypeVar("T")

metadata = MetaData()

ledger_table = Table(
    "polypay_callback_ledger",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("entity_id", String(255), primary_key=True),
    # NULL until a first state commits (the row exists so that it can be locked).
    Column("status", String(64), nullable=True),
    Column("time", BigInteger, nullable=True),
    Column("applied_at", DateTime(timezone=True), nullable=True),
)


class SqlAlchemyLedger:
    def __init__(self, engine: Engine, table: Table = ledger_table) -> None:
        self.engine = engine
        self.table = table

    def create_table(self) -> None:
        self.table.create(self.engine, checkfirst=True)

    def apply(
        self, event: LedgerEvent, handler: Callable[[Connection], T]
    ) -> Tuple[Verdict, Optional[T]]:
        """Runs ``handler(conn)`` if ``event`` is a new state of its entity, in the transaction
        that records it; returns the verdict and the handler's result."""
        t = self.table
        key = and_(t.c.kind == event.kind, t.c.entity_id == event.entity_id)
        with self.engine.begin() as conn:
            self._ensure_row(conn, event)
            row = conn.execute(select(t.c.status, t.c.time).where(key).with_for_update()).one()
            verdict = event.decide(row.status, row.time)
            if verdict != "apply":
                return verdict, None
            result = handler(conn)
            conn.execute(
                update(t)
                .where(key)
                .values(status=event.status, time=event.time, applied_at=datetime.now(timezone.utc))
            )
        return verdict, result

    def _ensure_row(self, conn: Connection, event: LedgerEvent) -> None:
        values = {"kind": event.kind, "entity_id": event.entity_id}
        dialect = conn.dialect.name
        if dialect in ("postgresql", "sqlite"):
            # INSERT … ON CONFLICT DO NOTHING: waits for a concurrent insert of the same key to
            # commit, and never fails the transaction.
            from sqlalchemy.dialects import postgresql, sqlite

            dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            conn.execute(dialect_insert(self.table).values(values).on_conflict_do_nothing())
            return
        exists = select(self.table.c.kind).where(
            and_(self.table.c.kind == event.kind, self.table.c.entity_id == event.entity_id)
        )
        if conn.execute(exists).first() is None:
            try:
                with conn.begin_nested():  # a savepoint: a lost race must not end the transaction
                    conn.execute(insert(self.table).values(values))
            except IntegrityError:
                pass
