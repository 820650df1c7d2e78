from django.db import models


class Order(models.Model):
    PENDING, PAID, FAILED, REFUNDED = "pending", "paid", "failed", "refunded"
    STATUSES = [(s, s.capitalize()) for s in (PENDING, PAID, FAILED, REFUNDED)]
    GATEWAYS = [
        ("paycore", "PayCore hosted page"),
        ("paycore-form", "PayCore hosted page (form)"),
        ("paycore-test", "PayCore test service"),
        ("ecommpay", "ecommpay Payment Page"),
    ]

    product = models.CharField(max_length=40)
    amount = models.DecimalField(max_digits=12, decimal_places=2)  # exact money, never a float
    currency = models.CharField(max_length=3)
    gateway = models.CharField(max_length=20, choices=GATEWAYS)
    # Sent to the gateway with the payment; callbacks and reconciliation find the order by it.
    reference_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    invoice_id = models.CharField(max_length=64, blank=True)
    # The gateway's time of the state applied last (unix seconds): older news is not applied.
    updated = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def is_paycore(self) -> bool:
        return self.gateway.startswith("paycore")


class Callback(models.Model):
    """Every verified callback received for an order, applied or not (duplicates, old news)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="callbacks")
    invoice_id = models.CharField(max_length=64)
    status = models.CharField(max_length=40)  # the gateway's own status word
    updated = models.BigIntegerField(null=True)
    applied = models.BooleanField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
