from fastapi import FastAPI
from sa_shop import ECOMMPAY_SECRET, PAYCORE_SECRET, ledger, record

from polypay.starlette import ecommpay_callback, paycore_callback

app = FastAPI()


def secret_of(request):
    """Several accounts on one endpoint: the account is in the URL's query."""
    return {"main": PAYCORE_SECRET}.get(request.query_params.get("account", "main"), [])


def paycore(event, conn):
    record(conn, "paycore.payment", event.id, event.ledger_event.status)


async def ecommpay(callback, conn):
    record(conn, "ecommpay.payment", callback.payment_id, callback.ledger_event.status)


app.add_api_route("/callbacks/paycore", methods=["POST"],
                  endpoint=paycore_callback(paycore, secret_key=secret_of, ledger=ledger))
app.add_api_route("/callbacks/ecommpay", methods=["POST"],
                  endpoint=ecommpay_callback(ecommpay, secret_key=ECOMMPAY_SECRET, ledger=ledger))
