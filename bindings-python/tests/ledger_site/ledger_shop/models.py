from django.db import models


class StateChange(models.Model):
    """One row per state change the shop applied: the test counts them."""

    kind = models.CharField(max_length=32)
    entity_id = models.CharField(max_length=64)
    status = models.CharField(max_length=64)

    class Meta:
        app_label = "ledger_shop"


class Absorbed(models.Model):
    """A delivery the ledger did not pass on, with its verdict (duplicate or stale)."""

    kind = models.CharField(max_length=32)
    entity_id = models.CharField(max_length=64)
    status = models.CharField(max_length=64)
    verdict = models.CharField(max_length=16)

    class Meta:
        app_label = "ledger_shop"
