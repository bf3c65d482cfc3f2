"""`POST /api/v1/triage/`: the level a text would get, with its reasons; creates nothing."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictCharField
from triage import vocab
from triage.models import Level
from triage.selectors import triage_text

MAX_TEXT = 10_000
# Who may see how a reason was found (the rule's patterns, the model's version): the desk, which
# reads the rules anyway. Store staff see what was found and the words that made it fire, so that
# the patterns cannot be learned and written around.
SEE_RULES_PERMISSION = "cases.view_all_cases"
_RULE_INTERNALS = ("rule",)


def reasons_for(user, reasons: list[dict]) -> list[dict]:
    """The reasons as this user may see them: without the rule unless the user is on the desk."""
    if user.has_perm(SEE_RULES_PERMISSION):
        return reasons
    return [{k: v for k, v in r.items() if k not in _RULE_INTERNALS} for r in reasons]


class CanPreviewTriage(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("triage.preview_triage")


def _known(values_of, label):
    def check(value: str) -> str:
        known = values_of()
        if value and known and value not in known:
            raise serializers.ValidationError(
                _("Unknown %(what)s “%(value)s”.") % {"what": label, "value": value}
            )
        return value

    return check


class TriagePreviewApi(APIView):
    permission_classes = [IsAuthenticated, CanPreviewTriage]

    class InputSerializer(serializers.Serializer):
        text = StrictCharField(max_length=MAX_TEXT, trim_whitespace=True)
        channel = serializers.CharField(
            max_length=20,
            required=False,
            allow_blank=True,
            default="",
            validators=[_known(vocab.channels, _("channel"))],
        )
        category = serializers.CharField(
            max_length=20,
            required=False,
            allow_blank=True,
            default="",
            validators=[_known(vocab.categories, _("category"))],
        )
        amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
        )

    class ReasonSerializer(serializers.Serializer):
        signal = serializers.CharField(help_text=_("What was found, e.g. 媒体曝光."))
        code = serializers.CharField()
        evidence = serializers.ListField(child=serializers.CharField())
        rule = serializers.CharField(
            required=False,
            help_text=_("How it was found; only for the desk (cases.view_all_cases)."),
        )
        value = serializers.CharField(
            required=False, help_text=_("A fact signal's plain value (a channel code, a count).")
        )
        level = serializers.ChoiceField(choices=Level.choices)
        weight = serializers.FloatField()

    class OutputSerializer(serializers.Serializer):
        level = serializers.ChoiceField(choices=Level.choices)
        score = serializers.FloatField()
        reasons = serializers.ListField(child=serializers.DictField())
        suggested_category = serializers.CharField(allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "TriagePreview",
                {
                    "level": serializers.ChoiceField(choices=Level.choices),
                    "score": serializers.FloatField(),
                    "reasons": ReasonSerializer(many=True),
                    "suggested_category": serializers.CharField(),
                },
            )
        },
        operation_id="triage_preview",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = triage_text(
            text=data["text"],
            channel=data.get("channel", ""),
            category=data.get("category", ""),
            amount=data.get("amount"),
        )
        return Response(
            self.OutputSerializer(
                {
                    "level": result.level,
                    "score": result.score,
                    "reasons": reasons_for(request.user, result.reasons),
                    "suggested_category": result.suggested_category,
                }
            ).data
        )
