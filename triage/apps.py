from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = _("Risk triage")

    def ready(self) -> None:
        from triage.models import Pattern, RuleSet, Signal, TriageModel
        from triage.services import ruleset_bump_version, triage_model_deleted

        # Every edit of the rules, from the admin or anywhere else, makes a new version.
        for model in (RuleSet, Signal, Pattern):
            post_save.connect(ruleset_bump_version, sender=model, dispatch_uid=f"triage-{model}")
            post_delete.connect(
                ruleset_bump_version, sender=model, dispatch_uid=f"triage-del-{model}"
            )
        # Deleting the active trained model brings the previous one back.
        post_delete.connect(
            triage_model_deleted, sender=TriageModel, dispatch_uid="triage-model-deleted"
        )
        # The shipped rules are data files, not migrations: every migrate (a new install, a
        # test database, an upgrade) brings the database to them; unchanged files cost one query.
        post_migrate.connect(rules_load_after_migrate, sender=self, dispatch_uid="triage-rules")


def rules_load_after_migrate(sender, *, using, plan=None, **kwargs) -> None:
    from django.db import DEFAULT_DB_ALIAS

    from triage.services import triage_rules_load

    if using != DEFAULT_DB_ALIAS:
        return
    triage_rules_load()
