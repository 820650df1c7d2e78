from flask import Flask
from sa_shop import ECOMMPAY_SECRET, PAYCORE_SECRET, ledger, record

from polypay.flask import ecommpay_callback, paycore_callback

app = Flask(__name__)


# A key being rotated: the new one first, the old one still accepted.
@app.post("/callbacks/paycore")
@paycore_callback(secret_key=["sk_test_rotated_in", PAYCORE_SECRET], ledger=ledger)
def paycore(event, conn):
    record(conn, "paycore.payment", event.id, event.ledger_event.status)


@app.post("/callbacks/ecommpay")
@ecommpay_callback(secret_key=ECOMMPAY_SECRET, ledger=ledger)
def ecommpay(callback, conn):
    record(conn, "ecommpay.payment", callback.payment_id, callback.ledger_event.status)
