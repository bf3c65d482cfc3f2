"""SLA in the admin: the case list's time-left column and filters, clocks and escalations on the
case page, policies and calendars as configuration, and acknowledging escalations."""

from django.contrib import admin, messages
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.admin import CaseAdmin
from cases.models import Case
from cases.selectors import case_visible_to
from core.durations import human_duration
from core.exceptions import ApplicationError
from escalation import selectors, services
from escalation.deadlines import remaining_seconds
from escalation.models import (
    OPEN_CLOCK_STATES,
    BusinessCalendar,
    CalendarDay,
    Escalation,
    LadderStep,
    SlaClock,
    SlaPolicy,
    level_label,
    role_labels,
)

OVERDUE_COLOUR = "#d32f2f"
DUE_SOON_COLOUR = "#ef6c00"
ON_TIME_COLOUR = "#2e7d32"


def _duration_text(seconds: int) -> str:
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _("%(d)d d %(h)d h") % {"d": hours // 24, "h": hours % 24}
    return f"{hours}:{minutes:02d}"


def time_left_badge(due_at, now):
    """Coloured "time left" / "overdue by" text for the earliest open deadline."""
    if due_at is None:
        return "—"
    seconds = remaining_seconds(due_at, now)
    if seconds < 0:
        colour, text = OVERDUE_COLOUR, _("overdue by %(t)s") % {"t": _duration_text(seconds)}
    else:
        soon = seconds <= selectors.DUE_SOON.total_seconds()
        colour = DUE_SOON_COLOUR if soon else ON_TIME_COLOUR
        text = _("%(t)s left") % {"t": _duration_text(seconds)}
    return format_html(
        '<span style="color:{};font-weight:600;white-space:nowrap">{}</span>', colour, text
    )


class SlaFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("breached", _("Breached")),
            ("due_soon", _("Due within 15 minutes")),
            ("escalated", _("Escalated")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "breached":
            return selectors.case_filter_breached(queryset)
        if self.value() == "due_soon":
            return selectors.case_filter_due_soon(queryset, now=timezone.now())
        if self.value() == "escalated":
            return selectors.case_filter_escalated(queryset)
        return queryset


class AudienceDisplayMixin:
    """Roles and alerted targets as words people read, not stored codes."""

    @admin.display(description=_("audience (roles)"))
    def audience_display(self, obj):
        return role_labels(obj.audience) or "—"

    @admin.display(description=_("alerted"))
    def notified_display(self, obj):
        labels = selectors.notification_target_labels(keys=obj.notified or [])
        return ", ".join(labels[key] for key in obj.notified or []) or "—"

    @admin.display(description=_("level"), ordering="level")
    def level_display(self, obj):
        return level_label(obj.level)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SlaClockInline(ReadOnlyInline):
    model = SlaClock
    verbose_name_plural = _("SLA clocks")
    fields = [
        "kind", "state", "started_at", "warn_at", "due_at", "time_left", "escalation_level",
        "stopped_at", "late_seconds",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("time left"))
    def time_left(self, clock):
        if clock.state not in OPEN_CLOCK_STATES:
            return "—"
        return time_left_badge(clock.due_at, timezone.now())


class EscalationInline(AudienceDisplayMixin, ReadOnlyInline):
    model = Escalation
    verbose_name_plural = _("escalations")
    fields = [
        "level_display", "clock_kind", "reached_at", "audience_display", "notified_display",
        "acknowledged_at", "acknowledged_by", "acknowledge_link",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("clock"))
    def clock_kind(self, escalation):
        return escalation.clock.get_kind_display()

    @admin.display(description=_("acknowledge"))
    def acknowledge_link(self, escalation):
        if escalation.acknowledged_at is not None:
            return "—"
        url = (
            reverse("admin:escalation_escalation_changelist")
            + "?"
            + urlencode({"case__id__exact": escalation.case_id, "acknowledged": "no"})
        )
        return format_html('<a href="{}">{}</a>', url, _("Acknowledge…"))


class SlaCaseAdmin(CaseAdmin):
    """The lead's case admin plus the SLA column, filter and sections."""

    list_display = [
        *CaseAdmin.list_display[:3],
        "time_left",
        "escalation",
        *CaseAdmin.list_display[3:],
    ]
    list_filter = [SlaFilter, *CaseAdmin.list_filter]
    inlines = [SlaClockInline, EscalationInline]

    def get_ordering(self, request):
        """The desk's order: the earliest deadline first (overdue ones lead), cases without an
        open clock last, newest first among them. (A method, not `ordering`: it sorts on the
        annotation of `get_queryset`.)"""
        return [F("sla_next_due").asc(nulls_last=True), "-received_at", "-id"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The case page's header: each open clock with its time left and escalation level."""
        now = timezone.now()
        clocks = (
            SlaClock.objects.filter(case_id=object_id, state__in=OPEN_CLOCK_STATES).order_by(
                "due_at"
            )
            if str(object_id).isdigit()
            else SlaClock.objects.none()
        )
        extra_context = {
            **(extra_context or {}),
            "sla_header": [
                {
                    "kind": clock.get_kind_display(),
                    "left": time_left_badge(clock.due_at, now),
                    "level": level_label(clock.escalation_level) if clock.escalation_level else "",
                }
                for clock in clocks
            ],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        open_clocks = SlaClock.objects.filter(
            case=OuterRef("pk"), state__in=OPEN_CLOCK_STATES
        ).order_by("due_at")
        return (
            super()
            .get_queryset(request)
            .annotate(
                sla_next_due=Subquery(open_clocks.values("due_at")[:1]),
                sla_level=Subquery(
                    open_clocks.order_by("-escalation_level").values("escalation_level")[:1]
                ),
            )
        )

    @admin.display(description=_("time left"), ordering="sla_next_due")
    def time_left(self, case):
        return time_left_badge(getattr(case, "sla_next_due", None), timezone.now())

    @admin.display(description=_("escalation"), ordering="sla_level")
    def escalation(self, case):
        level = getattr(case, "sla_level", None)
        return level_label(level) if level else "—"


admin.site.unregister(Case)
admin.site.register(Case, SlaCaseAdmin)


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "day_start", "day_end", "weekdays"]
    inlines = [CalendarDayInline]


class LadderStepInline(admin.TabularInline):
    model = LadderStep
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name", "risk_level", "category", "channel", "first_response", "close", "warning_percent",
        "calendar", "is_active",
    ]  # fmt: skip
    list_filter = ["risk_level", "is_active"]
    inlines = [LadderStepInline]

    @admin.display(description=_("first-response target"), ordering="first_response_target")
    def first_response(self, policy):
        return human_duration(policy.first_response_target)

    @admin.display(description=_("close target"), ordering="close_target")
    def close(self, policy):
        return human_duration(policy.close_target)


class AcknowledgedFilter(admin.SimpleListFilter):
    title = _("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(acknowledged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(acknowledged_at__isnull=True)
        return queryset


@admin.register(Escalation)
class EscalationAdmin(AudienceDisplayMixin, admin.ModelAdmin):
    list_display = [
        "case", "level_display", "clock_kind", "reached_at", "audience_display",
        "acknowledged_at", "acknowledged_by",
    ]  # fmt: skip
    list_filter = [AcknowledgedFilter, "level"]
    list_select_related = ["case", "clock", "acknowledged_by"]
    search_fields = ["case__number"]
    actions = ["acknowledge"]
    fields = readonly_fields = [
        "case", "clock", "level_display", "reached_at", "audience_display", "notified_display",
        "acknowledged_at", "acknowledged_by", "acknowledge_note",
    ]  # fmt: skip

    def get_queryset(self, request):
        # Store-scoped users see only the escalations of cases they may see.
        return super().get_queryset(request).filter(case__in=case_visible_to(request.user))

    @admin.display(description=_("clock"))
    def clock_kind(self, escalation):
        return escalation.clock.get_kind_display()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_acknowledge_permission(self, request):
        return request.user.has_perm("escalation.acknowledge_escalation")

    @admin.action(
        description=_("Acknowledge the selected escalations"), permissions=["acknowledge"]
    )
    def acknowledge(self, request, queryset):
        done = 0
        for escalation in queryset:
            try:
                services.escalation_acknowledge(escalation=escalation, actor=request.user)
            except ApplicationError as exc:
                self.message_user(
                    request,
                    _("%(case)s %(level)s: %(error)s")
                    % {
                        "case": escalation.case.number,
                        "level": level_label(escalation.level),
                        "error": exc.message,
                    },
                    messages.WARNING,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(n)d escalation acknowledged.", "%(n)d escalations acknowledged.", done)
                % {"n": done},
            )


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "state", "due_at", "next_check_at", "escalation_level"]
    list_filter = ["kind", "state"]
    list_select_related = ["case"]
    search_fields = ["case__number"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(case__in=case_visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
