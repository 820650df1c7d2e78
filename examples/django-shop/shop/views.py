"""The shop's pages, its payment actions and the two callback views.

The shop has no logins or sessions, so its forms carry no CSRF token (and the demo driver posts
them as plain HTTP): the views that take forms are csrf_exempt. A real shop keeps Django's CSRF
protection on its forms and puts refunds and reconciliation behind staff authentication."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import polypay
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from polypay.django import ecommpay_callback, paycore_callback

from . import gateways
from .models import Order
from .payments import apply_news, record_absorbed

logger = logging.getLogger("shop")

TEST_STATUSES = ("success", "fail", "pending")


def see_other(to: str, **kwargs: Any) -> HttpResponse:
    """303: the browser follows a POST with a GET."""
    response = redirect(to, **kwargs)
    response.status_code = 303
    return response


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    products = [(sku, name, price) for sku, (name, price) in gateways.PRODUCTS.items()]
    return render(request, "shop/index.html", {"products": products})


@require_GET
def product(request: HttpRequest, sku: str) -> HttpResponse:
    if sku not in gateways.PRODUCTS:
        raise Http404("no such product")
    name, price = gateways.PRODUCTS[sku]
    return render(request, "shop/product.html", {
        "sku": sku, "name": name, "price": price, "gateways": Order.GATEWAYS,
        "test_statuses": TEST_STATUSES,
    })


@csrf_exempt
@require_POST
def create_order(request: HttpRequest) -> HttpResponse:
    sku = request.POST.get("product", "")
    gateway = request.POST.get("gateway", "paycore")
    test_status = request.POST.get("test_status") or "success"
    if sku not in gateways.PRODUCTS:
        return HttpResponseBadRequest("unknown product", content_type="text/plain")
    if gateway not in dict(Order.GATEWAYS):
        return HttpResponseBadRequest("unknown gateway", content_type="text/plain")
    if test_status not in TEST_STATUSES:
        return HttpResponseBadRequest("test_status must be success, fail or pending",
                                      content_type="text/plain")

    # Committed before any gateway is involved, so a callback always finds its order.
    with transaction.atomic():
        order = Order.objects.create(product=sku, amount=gateways.PRODUCTS[sku][1],
                                     currency="USD", gateway=gateway,
                                     reference_id=f"new-{secrets.token_hex(8)}")
        order.reference_id = f"order-{order.pk}-{secrets.token_hex(4)}"
        order.save(update_fields=["reference_id"])

    if gateway == "paycore":
        return see_other(gateways.paycore_hpp_url(order))
    if gateway == "paycore-form":
        form = gateways.paycore_hpp_form(order)
        # polypay escapes every value in form.html.
        return render(request, "shop/redirect.html", {"order": order, "form": mark_safe(form.html)})
    if gateway == "ecommpay":
        return see_other(gateways.ecommpay_url(order))

    # paycore-test: the shop creates the invoice itself. The status still comes from callbacks;
    # only the invoice id is kept from our own (authenticated) call.
    try:
        invoice = gateways.paycore_test_invoice(order, test_status)
    except polypay.PolypayError as error:
        # The order stays pending: Reconcile (by reference_id) tells what really happened.
        logger.warning("order %s: invoice not created: %s", order.pk, error)
        return render(request, "shop/error.html", {"order": order, "error": error}, status=502)
    Order.objects.filter(pk=order.pk, invoice_id="").update(invoice_id=invoice.id)
    return see_other("order", order_id=order.pk)


def order_document(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "reference_id": order.reference_id,
        "gateway": order.gateway,
        "status": order.status,
        "amount": str(order.amount),
        "currency": order.currency,
        "invoice_id": order.invoice_id or None,
        "updated": order.updated,
        "callbacks": [
            {"invoice_id": c.invoice_id, "status": c.status, "updated": c.updated,
             "applied": c.applied}
            for c in order.callbacks.all()
        ],
    }


@require_GET
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=order_id)
    return render(request, "shop/order.html", {
        "order": order, "callbacks": order.callbacks.all(),
        "product": gateways.PRODUCTS[order.product][0],
    })


@require_GET
def order_json(request: HttpRequest, order_id: int) -> JsonResponse:
    return JsonResponse(order_document(get_object_or_404(Order, pk=order_id)))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _problem(request: HttpRequest, order: Order, message: str, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message, "order": order_document(order)}, status=status)
    return render(request, "shop/error.html", {"order": order, "error": message}, status=status)


@csrf_exempt
@require_POST
def reconcile(request: HttpRequest, order_id: int) -> HttpResponse:
    """Asks the gateway what became of the payment (e.g. when callbacks were lost) and applies
    the answer exactly like a callback."""
    order = get_object_or_404(Order, pk=order_id)
    if not order.is_paycore:
        return _reconcile_ecommpay(request, order)
    try:
        client = gateways.paycore_client()
        invoice = next(iter(client.list_payment_invoices(reference_id=order.reference_id)), None)
    except polypay.PolypayError as error:
        return _problem(request, order, f"the gateway did not answer: {error}", 502)
    applied = False
    if invoice is not None:
        order, applied = apply_news(order.pk, gateways.paycore_news(invoice), record=False)
    if _wants_json(request):
        found = {"invoice_id": invoice.id, "status": invoice.status} if invoice else None
        return JsonResponse(dict(order_document(order), reconciled={"invoice": found,
                                                                     "applied": applied}))
    return see_other("order", order_id=order.pk)


def _reconcile_ecommpay(request: HttpRequest, order: Order) -> HttpResponse:
    """The Gate's status request, applied exactly like a callback."""
    try:
        payment = gateways.ecommpay_api().payment_status(general={"payment_id": order.reference_id})
    except polypay.NotFoundError:
        payment = None  # the customer never confirmed the payment
    except polypay.PolypayError as error:
        return _problem(request, order, f"the gateway did not answer: {error}", 502)
    applied = False
    if payment is not None:
        order, applied = apply_news(order.pk, gateways.ecommpay_status_news(payment), record=False)
    if _wants_json(request):
        found = {"payment_id": payment.payment_id, "status": payment.status} if payment else None
        return JsonResponse(dict(order_document(order), reconciled={"payment": found,
                                                                     "applied": applied}))
    return see_other("order", order_id=order.pk)


@csrf_exempt
@require_POST
def refund(request: HttpRequest, order_id: int) -> HttpResponse:
    """A full refund. The order becomes Refunded when the gateway's callback says so."""
    order = get_object_or_404(Order, pk=order_id)
    if order.status != Order.PAID or (order.is_paycore and not order.invoice_id):
        return _problem(request, order, "only paid orders can be refunded", 409)
    if not order.is_paycore:
        try:
            accepted = gateways.ecommpay_refund(order)
        except polypay.PolypayError as error:
            return _problem(request, order, f"refund refused: {error}", 502)
        if _wants_json(request):
            refund_doc = {"request_id": accepted.request_id, "reconciled": accepted.reconciled}
            return JsonResponse(dict(order_document(order), refund=refund_doc), status=202)
        return see_other("order", order_id=order.pk)
    try:
        # A fixed reference_id: a second click (or a retry) never refunds twice.
        result = gateways.paycore_client().refund_payment_invoice(
            order.invoice_id, amount=order.amount, reference_id=f"refund-{order.reference_id}")
    except polypay.ConflictError:
        result = None  # already requested
    except polypay.PolypayError as error:
        return _problem(request, order, f"refund refused: {error}", 502)
    if _wants_json(request):
        refund_doc = {"id": result.id, "status": result.status} if result else None
        return JsonResponse(dict(order_document(order), refund=refund_doc), status=202)
    return see_other("order", order_id=order.pk)


# Callbacks: the decorators verify the signature over the raw body before anything is parsed,
# answer 400 to a bad one, and 200 only once these functions return (an exception: 500, and the
# gateway sends it again). With exactly_once=True, polypay's ledger runs them once per state
# change of an invoice (or ecommpay payment), in the transaction that records it, however many
# processes serve the site; a duplicate or an older state goes to `absorbed` instead.

def _paycore_order(event: polypay.CallbackEvent) -> Order | None:
    invoice = event.invoice
    if not isinstance(invoice, polypay.PaymentInvoice):
        # Refunds (and payouts) have callbacks of their own; the invoice's callback tells the
        # order's story, "refunded" included.
        logger.info("PayCore %s callback ignored", event.event_type)
        return None
    order = Order.objects.filter(reference_id=invoice.reference_id).first()
    if order is None or not order.is_paycore:
        # Not ours: 200 anyway, or the gateway retries it for days.
        logger.warning("PayCore callback for unknown reference %r", invoice.reference_id)
        return None
    return order


def _ecommpay_order(callback: polypay.EcommpayCallback) -> Order | None:
    order = Order.objects.filter(reference_id=callback.payment_id, gateway="ecommpay").first()
    if order is None:
        logger.warning("ecommpay callback for unknown payment %r", callback.payment_id)
    return order


def _paycore_absorbed(request: HttpRequest, event: polypay.CallbackEvent, verdict: str) -> None:
    order = _paycore_order(event)
    if order is not None:
        record_absorbed(order.pk, gateways.paycore_news(event.invoice))


def _ecommpay_absorbed(request: HttpRequest, callback: polypay.EcommpayCallback,
                       verdict: str) -> None:
    order = _ecommpay_order(callback)
    if order is not None:
        record_absorbed(order.pk, gateways.ecommpay_news(callback))


@paycore_callback(exactly_once=True, on_skip=_paycore_absorbed)
def paycore_webhook(request: HttpRequest, event: polypay.CallbackEvent) -> None:
    order = _paycore_order(event)
    if order is not None:
        apply_news(order.pk, gateways.paycore_news(event.invoice), record=True)


@ecommpay_callback(exactly_once=True, on_skip=_ecommpay_absorbed)
def ecommpay_webhook(request: HttpRequest, callback: polypay.EcommpayCallback) -> None:
    order = _ecommpay_order(callback)
    if order is not None:
        apply_news(order.pk, gateways.ecommpay_news(callback), record=True)
