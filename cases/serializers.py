"""Input and output shapes of the case API. No business logic: that is in services."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.extensions import case_api_schema_fields
from cases.models import Case, CaseEvent, Category, Channel, ContactOutcome, EventKind, RiskLevel
from core.masking import mask_name, scrub_phones
from core.models import Store
from core.reasons import CROSS_STORE_CODES, reason_line, reasons_for_store
from core.validators import validate_phone


class SafeDateTimeField(serializers.DateTimeField):
    """A date so far out that it cannot carry a time zone is invalid input, not a server error."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except (OverflowError, OSError):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM|-HH:MM|Z]")


class StoreCodeField(serializers.SlugRelatedField):
    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class CaseIntakeSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000)
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    store = StoreCodeField(
        slug_field="code",
        queryset=Store.objects.filter(is_active=True),
        error_messages={"does_not_exist": _("Unknown store code “{value}”.")},
    )
    received_at = SafeDateTimeField(required=False)
    order_ref = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    customer_name = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    customer_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", validators=[validate_phone]
    )
    customer_contact = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class StoreRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CaseOutputSerializer(serializers.ModelSerializer):
    """A case as the API shows it. Customer data is always masked here; see the reveal endpoint."""

    store = StoreRefSerializer()
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reporter = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    merged_into = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    customer_name = serializers.SerializerMethodField()
    customer_phone = serializers.CharField(source="masked_phone")
    customer_contact = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "number", "title", "description", "state", "channel", "category", "store",
            "order_ref", "amount", "customer_name", "customer_phone", "customer_contact",
            "risk_level", "risk_score", "risk_reason", "risk_reasons", "risk_overridden",
            "risk_suggestion", "suggested_category", "assignee", "reporter", "received_at",
            "first_responded_at", "resolved_at", "closed_at", "archived_at", "resolution",
            "close_reason", "merged_into", "created_at", "updated_at",
        ]  # fmt: skip

    def get_customer_name(self, case: Case) -> str:
        return mask_name(case.customer_name)

    def get_customer_contact(self, case: Case) -> str:
        return mask_name(case.customer_contact)

    def get_fields(self):
        fields = super().get_fields()
        for name, schema_field in case_api_schema_fields().items():
            fields[name] = _extra_field(schema_field)(read_only=True)
        return fields

    def to_representation(self, case):
        data = super().to_representation(case)
        if not self.context.get("may_see_pii", False):
            # customers' numbers typed into the free text are masked like the phone field
            for name in ("title", "description", "resolution"):
                data[name] = scrub_phones(data[name])
        if not self.context.get("is_desk", False):
            # How a rule matched (its patterns) is for the desk, not for stores or other systems,
            # and so is a fact about other stores' cases (the repeat history).
            if any(
                isinstance(r, dict) and r.get("code") in CROSS_STORE_CODES
                for r in data["risk_reasons"] or []
            ):
                data["risk_reason"] = reason_line(reasons_for_store(data["risk_reasons"]))
            data["risk_reasons"] = reasons_for_store(data["risk_reasons"])
            if (
                isinstance(data.get("risk_suggestion"), dict)
                and "reasons" in data["risk_suggestion"]
            ):
                data["risk_suggestion"] = {
                    **data["risk_suggestion"],
                    "reasons": reasons_for_store(data["risk_suggestion"]["reasons"]),
                }
        extras = self.context.get("extras", {}).get(case.pk, {})
        data.update({k: v for k, v in extras.items() if k not in data})
        return data


class _ExtraField(serializers.Field):
    """A key that another app adds to the case (see cases.extensions); already JSON-ready."""

    def get_attribute(self, instance):
        return self.parent.context.get("extras", {}).get(instance.pk, {}).get(self.field_name)

    def to_representation(self, value):
        return value


def _extra_field(schema_field) -> type[serializers.Field]:
    return extend_schema_field(schema_field)(type("ExtraField", (_ExtraField,), {}))


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    def to_representation(self, event):
        data = super().to_representation(event)
        if not self.context.get("may_see_pii", False):
            data["note"], data["data"] = scrub_phones([data["note"], data["data"]])
        if (
            not self.context.get("is_desk", False)
            and event.kind == EventKind.RISK_CHANGED
            and not event.actor_id
        ):
            data["note"] = ""  # triage's reason line may count other stores' cases
        return data

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "actor", "created_at", "transition", "from_state", "to_state",
                  "note", "data"]  # fmt: skip


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    fields = serializers.ListField(child=serializers.DictField())


class TransitionInputSerializer(serializers.Serializer):
    """Documentation of every transition's input; each transition validates what it needs."""

    note = serializers.CharField(required=False, help_text=_("respond (required), close, merge"))
    resolution = serializers.CharField(required=False, help_text=_("resolve (required)"))
    close_reason = serializers.ChoiceField(
        required=False,
        choices=["customer_confirmed", "customer_unreachable"],
        help_text=_("close (required)"),
    )
    reason = serializers.CharField(required=False, help_text=_("reopen, reject (required)"))
    into = serializers.CharField(
        required=False, help_text=_("merge (required): target case number")
    )


class NoteInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["note", "contact_attempt"], default="note")
    text = serializers.CharField(max_length=10_000)
    outcome = serializers.ChoiceField(
        choices=ContactOutcome.choices, required=False, allow_blank=True, default=""
    )
    customer_info = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "True: new information from the customer (the case is re-triaged). False: an internal "
            "note. Default: true for store staff and other systems, false for the desk."
        ),
    )


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class AssignInputSerializer(serializers.Serializer):
    assignee = serializers.CharField(allow_blank=True, help_text=_("Username; empty to unassign."))


class RiskInputSerializer(serializers.Serializer):
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    reason = serializers.CharField(max_length=2_000)


class RevealOutputSerializer(serializers.Serializer):
    customer_name = serializers.CharField()
    customer_phone = serializers.CharField()
    customer_contact = serializers.CharField()
