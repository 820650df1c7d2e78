from django.apps import AppConfig


class PolypayConfig(AppConfig):
    """The exactly-once ledger's table (``polypay_callback_ledger``); add ``"polypay.django"`` to
    ``INSTALLED_APPS`` and run ``migrate`` to use ``exactly_once=True``."""

    name = "polypay.django"
    label = "polypay"
    verbose_name = "polypay"
    default_auto_field = "django.db.models.BigAutoField"
