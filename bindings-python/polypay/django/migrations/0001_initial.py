from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="CallbackLedgerEntry",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("kind", models.CharField(max_length=32)),
                ("entity_id", models.CharField(max_length=255)),
                ("status", models.CharField(max_length=64, null=True)),
                ("time", models.BigIntegerField(null=True)),
                ("applied_at", models.DateTimeField(null=True)),
            ],
            options={"db_table": "polypay_callback_ledger"},
        ),
        migrations.AddConstraint(
            model_name="callbackledgerentry",
            constraint=models.UniqueConstraint(
                fields=("kind", "entity_id"), name="polypay_ledger_entity"
            ),
        ),
    ]
