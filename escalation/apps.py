from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = _("Escalation")

    def ready(self) -> None:
        from cases.extensions import register_case_api_extra, register_case_list_filter
        from escalation import receivers  # noqa: F401  (connects to the cases signals)
        from escalation.selectors import case_sla_list_filter
        from escalation.serializers import (
            CASE_SLA_SCHEMA_FIELDS,
            SLA_FILTER_PARAMETER,
            case_sla_api_extra,
        )

        register_case_api_extra(case_sla_api_extra, schema_fields=CASE_SLA_SCHEMA_FIELDS)
        register_case_list_filter(
            "sla", case_sla_list_filter, schema_parameter=SLA_FILTER_PARAMETER
        )
