"""The SLA part of the case API: the shape of `sla[]` and `escalation_level`, used both to render
them and to describe them in the OpenAPI schema (registered in `EscalationConfig.ready`)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from escalation import selectors
from escalation.models import ClockKind, ClockState


class SlaClockSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ClockKind.choices, read_only=True)
    # Rendered like the case's own datetimes (local time with its offset).
    due_at = serializers.DateTimeField(read_only=True)
    state = serializers.ChoiceField(choices=ClockState.choices, read_only=True)
    remaining_seconds = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=_("Seconds left (negative when overdue); null once met or cancelled."),
    )


CASE_SLA_SCHEMA_FIELDS = {
    "sla": SlaClockSerializer(many=True, read_only=True),
    "escalation_level": serializers.IntegerField(
        read_only=True,
        help_text=_("The highest escalation level reached by an open clock; 0 for none."),
    ),
}

SLA_FILTER_PARAMETER = OpenApiParameter(
    name="sla",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.QUERY,
    required=False,
    enum=["breached", "due_soon"],
    description=_(
        "breached: a clock is past due and not met; due_soon: a running clock is due within "
        "15 minutes."
    ),
)


def case_sla_api_extra(cases: list) -> dict[int, dict]:
    """`sla` and `escalation_level` of each case on an API page, JSON-ready (one query)."""
    rendered = {}
    for case_id, extra in selectors.case_sla_api_extra(cases).items():
        rendered[case_id] = {
            "sla": SlaClockSerializer(extra["sla"], many=True).data,
            "escalation_level": extra["escalation_level"],
        }
    return rendered
