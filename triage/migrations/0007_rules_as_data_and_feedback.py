"""Rules as data: where each rule came from (shipped files or the admin), context cues, the
combination a model was tuned to, and handlers' risk changes kept for training."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0006_starter_rules_third_edition"),
    ]

    operations = [
        migrations.CreateModel(
            name="TriageFeedback",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("case_id", models.BigIntegerField(db_index=True, verbose_name="case id")),
                (
                    "case_number",
                    models.CharField(blank=True, max_length=32, verbose_name="case number"),
                ),
                ("text", models.TextField(verbose_name="text")),
                (
                    "text_hash",
                    models.CharField(db_index=True, max_length=64, verbose_name="text hash"),
                ),
                (
                    "old_level",
                    models.CharField(
                        choices=[("red", "Red"), ("yellow", "Yellow"), ("blue", "Blue")],
                        max_length=10,
                        verbose_name="old level",
                    ),
                ),
                (
                    "new_level",
                    models.CharField(
                        choices=[("red", "Red"), ("yellow", "Yellow"), ("blue", "Blue")],
                        max_length=10,
                        verbose_name="new level",
                    ),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("actor", models.CharField(blank=True, max_length=150, verbose_name="changed by")),
                ("channel", models.CharField(blank=True, max_length=20, verbose_name="channel")),
                ("category", models.CharField(blank=True, max_length=20, verbose_name="category")),
                ("created_at", models.DateTimeField(db_index=True, verbose_name="created at")),
            ],
            options={
                "verbose_name": "risk feedback",
                "verbose_name_plural": "risk feedback",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="pattern",
            name="shipped",
            field=models.BooleanField(default=True, editable=False, verbose_name="shipped"),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="context_cues",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Cue words per context family: conditional, hypothetical, hypothetical_endings, rhetorical, other_person (lists of words), and scope_window (characters).",
                verbose_name="context cues",
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="overridden",
            field=models.BooleanField(
                default=False,
                help_text="Loading the shipped rules keeps the thresholds and cues of an edited rule set.",
                verbose_name="edited in the admin",
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="rules_digest",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="shipped rules digest"
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="rules_edition",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="shipped rules edition"
            ),
        ),
        migrations.AddField(
            model_name="signal",
            name="context_exempt",
            field=models.CharField(
                blank=True,
                help_text="Comma-separated: negated, conditional, hypothetical, question, quoted, other_person. E.g. a brand's safety scandal reported in the news still counts.",
                max_length=200,
                verbose_name="context families that do not apply",
            ),
        ),
        migrations.AddField(
            model_name="signal",
            name="overridden",
            field=models.BooleanField(
                default=False,
                help_text="Loading the shipped rules leaves an edited signal as it is.",
                verbose_name="edited in the admin",
            ),
        ),
        migrations.AddField(
            model_name="signal",
            name="shipped",
            field=models.BooleanField(default=True, editable=False, verbose_name="shipped"),
        ),
        migrations.AddField(
            model_name="triagemodel",
            name="artifact_digest",
            field=models.CharField(blank=True, max_length=64, verbose_name="model digest"),
        ),
        migrations.AddField(
            model_name="triagemodel",
            name="corpus_digest",
            field=models.CharField(blank=True, max_length=64, verbose_name="training data digest"),
        ),
        migrations.AddField(
            model_name="triagemodel",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="combination"),
        ),
        # Rows that exist now came from the starter-rule migrations, i.e. are the shipped rules;
        # rows added from now on are not, unless the loader says so.
        migrations.AlterField(
            model_name="pattern",
            name="shipped",
            field=models.BooleanField(default=False, editable=False, verbose_name="shipped"),
        ),
        migrations.AlterField(
            model_name="signal",
            name="shipped",
            field=models.BooleanField(default=False, editable=False, verbose_name="shipped"),
        ),
    ]
