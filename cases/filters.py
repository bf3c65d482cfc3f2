import re
from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django_filters.fields import IsoDateTimeField

from cases.models import Case, Category, Channel, RiskLevel, State


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, in UTC for the database; an offset or year out of range is bad input."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, OSError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class CaseFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    risk_level = django_filters.MultipleChoiceFilter(choices=RiskLevel.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    store = django_filters.CharFilter(field_name="store__code")
    assignee = django_filters.CharFilter(method="filter_assignee")
    received_after = UTCDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = UTCDateTimeFilter(field_name="received_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_assignee(self, queryset, name, value):
        if value in ("none", "-"):
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)

    def filter_search(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        may_see_pii = bool(user and user.has_perm("cases.view_customer_pii"))
        return queryset.filter(case_search_q(value, may_see_pii=may_see_pii))


def case_search_q(value: str, *, may_see_pii: bool = False) -> Q:
    """Case number, order reference, the phone's last digits, or words in title/description.

    The masked phone already shows the last 4 digits, so anyone may search by exactly those.
    Longer suffixes (up to the whole number) would let a user guess hidden digits one at a time,
    so they are searched only for roles that may see customer data anyway.
    """
    value = value.strip()
    q = Q(number__iexact=value) | Q(order_ref__iexact=value)
    # A run of 5+ digits could confirm a masked number hidden in the free text, digit by digit.
    if may_see_pii or not re.search(r"\d{5,}", value):
        q |= Q(title__icontains=value) | Q(description__icontains=value)
    if value.isdigit() and (len(value) == 4 or (may_see_pii and 4 < len(value) <= 11)):
        q |= Q(customer_phone__endswith=value)
    return q
