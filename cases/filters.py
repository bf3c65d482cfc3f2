import django_filters
from django.db.models import Q

from cases.models import Case, Category, Channel, RiskLevel, State


class CaseFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    risk_level = django_filters.MultipleChoiceFilter(choices=RiskLevel.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    store = django_filters.CharFilter(field_name="store__code")
    assignee = django_filters.CharFilter(method="filter_assignee")
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_assignee(self, queryset, name, value):
        if value in ("none", "-"):
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)

    def filter_search(self, queryset, name, value):
        return queryset.filter(case_search_q(value))


def case_search_q(value: str) -> Q:
    """Case number, order reference, last digits of the phone, or words in title/description."""
    value = value.strip()
    q = Q(number__iexact=value) | Q(order_ref__iexact=value)
    q |= Q(title__icontains=value) | Q(description__icontains=value)
    if value.isdigit() and 4 <= len(value) <= 11:
        q |= Q(customer_phone__endswith=value)
    return q
