"""What the Flask and FastAPI sites share: the database (LEDGER_DATABASE_URL, as the Django
site reads it), the ledger, and the shop's own table of applied state changes."""

import os
import random

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

from polypay.sqlalchemy import SqlAlchemyLedger

FAIL_RATE = float(os.environ.get("LEDGER_FAIL_RATE", "0"))
PAYCORE_SECRET = "sk_test_ledger"
ECOMMPAY_SECRET = "ecommpay_ledger_secret"

url = os.environ["LEDGER_DATABASE_URL"]
# SQLAlchemy spells the drivers out; SQLite waits up to 30 s for the write lock.
engine = create_engine(
    url.replace("postgresql://", "postgresql+psycopg://", 1).replace("sqlite://", "sqlite:///", 1),
    connect_args={"timeout": 30} if url.startswith("sqlite") else {},
)
metadata = MetaData()
changes = Table(
    "ledger_shop_statechange", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32)), Column("entity_id", String(64)), Column("status", String(64)),
)
ledger = SqlAlchemyLedger(engine)


class HandlerFailed(Exception):
    pass


def record(conn, kind: str, entity_id: str, status: str) -> None:
    conn.execute(insert(changes).values(kind=kind, entity_id=entity_id, status=status))
    # Fails after writing: the ledger's transaction must take the write back with it.
    if random.random() < FAIL_RATE:
        raise HandlerFailed("the shop's handler failed")


def create_tables() -> None:
    metadata.create_all(engine)
    ledger.create_table()
