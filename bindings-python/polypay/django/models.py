from django.db import models


class CallbackLedgerEntry(models.Model):
    """What was applied last for one entity (an invoice, a payment): the row every delivery of
    its callbacks locks, in the transaction of the handler, so that concurrent deliveries to
    different processes are applied one at a time and each state change once."""

    id = models.BigAutoField(primary_key=True)
    # The same columns as the Node and Kotlin ledgers' table: one table serves every language.
    kind = models.CharField(max_length=32)
    entity_id = models.CharField(max_length=255)
    # NULL until a first state commits (the row exists so that it can be locked).
    status = models.CharField(max_length=64, null=True)
    time = models.BigIntegerField(null=True)
    applied_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "polypay_callback_ledger"
        constraints = [
            models.UniqueConstraint(fields=["kind", "entity_id"], name="polypay_ledger_entity")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.entity_id}: {self.status}"
