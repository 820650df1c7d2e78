from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("products/<str:sku>", views.product, name="product"),
    path("orders", views.create_order, name="create_order"),
    path("orders/<int:order_id>", views.order_page, name="order"),
    path("orders/<int:order_id>.json", views.order_json, name="order_json"),
    path("orders/<int:order_id>/reconcile", views.reconcile, name="reconcile"),
    path("orders/<int:order_id>/refund", views.refund, name="refund"),
    path("callbacks/paycore", views.paycore_webhook, name="paycore_callback"),
    path("callbacks/ecommpay", views.ecommpay_webhook, name="ecommpay_callback"),
]
