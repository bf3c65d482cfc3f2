"""Admin: channels (credentials write-only, "send test message"), routes, the delivery log."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError
from notifications import services
from notifications.forms import ChannelForm, RouteForm
from notifications.models import Channel, Notification, Route, Status
from notifications.redaction import url_display


class ManagedByConfigWarningMixin:
    """Edits in the admin to a row from `load_alert_config` last only until the next load."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            obj = self.get_object(request, object_id)
            if obj is not None and obj.managed_by_config:
                self.message_user(
                    request,
                    _(
                        "This entry is managed by the alert configuration file: the next "
                        "load_alert_config overwrites changes made here. Change the file instead."
                    ),
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Channel)
class ChannelAdmin(ManagedByConfigWarningMixin, admin.ModelAdmin):
    form = ChannelForm

    def lookup_allowed(self, lookup, value, request=None):
        # `?secret__startswith=` would let a viewer guess a credential one character at a time
        if lookup.split("__")[0] in ("url", "secret"):
            return False
        return super().lookup_allowed(lookup, value, request)

    list_display = [
        "name",
        "kind",
        "url_shown",
        "has_secret",
        "keyword",
        "limits_shown",
        "is_active",
        "managed_by_config",
    ]
    list_filter = ["kind", "is_active", "managed_by_config"]
    search_fields = ["name"]
    actions = ["send_test_message"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "is_active"]}),
        (_("Where to"), {"fields": ["new_url", "new_secret", "clear_secret", "recipients"]}),
        (_("Messages"), {"fields": ["keyword", "use_markdown", "language"]}),
        (_("Rate limit"), {"fields": ["rate_limit_per_minute", "rate_limit_per_second"]}),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
            return
        # Only what the form edits: a full save would write back the rate-limit window read
        # when the form was loaded, undoing sends that happened meanwhile.
        concrete = {f.name for f in Channel._meta.concrete_fields}
        fields = [name for name in form.cleaned_data if name in concrete]
        obj.save(update_fields=sorted({*fields, "url", "secret", "updated_at"}))

    @admin.display(description=_("webhook URL"))
    def url_shown(self, obj: Channel) -> str:
        return url_display(obj.url) or "—"

    @admin.display(description=_("secret set"), boolean=True)
    def has_secret(self, obj: Channel) -> bool:
        return bool(obj.secret)

    @admin.display(description=_("limit (per min / per s)"))
    def limits_shown(self, obj: Channel) -> str:
        per_minute, per_second = obj.rate_limits
        return f"{per_minute or '∞'} / {per_second or '∞'}"

    @admin.action(description=_("Send a test message"), permissions=["change"])
    def send_test_message(self, request, queryset):
        for channel in queryset:
            result = services.channel_send_test(channel=channel)
            if result.ok:
                self.message_user(
                    request,
                    _("%(name)s: sent. The vendor answered: %(answer)s")
                    % {"name": channel.name, "answer": result.answer or "—"},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("%(name)s: failed: %(error)s. The vendor answered: %(answer)s")
                    % {
                        "name": channel.name,
                        "error": result.error,
                        "answer": result.answer or "—",
                    },
                    messages.ERROR,
                )


@admin.register(Route)
class RouteAdmin(ManagedByConfigWarningMixin, admin.ModelAdmin):
    form = RouteForm
    list_display = ["name", "kinds", "risk_levels", "filters_shown", "targets_shown", "is_active"]
    list_filter = ["is_active", "managed_by_config"]
    search_fields = ["name"]
    filter_horizontal = ["channels"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("channels")

    @admin.display(description=_("stores / regions / levels"))
    def filters_shown(self, obj: Route) -> str:
        parts = [
            ", ".join(map(str, v)) or "*"
            for v in (obj.store_codes, obj.regions, obj.escalation_levels)
        ]
        return " / ".join(parts)

    @admin.display(description=_("sends to"))
    def targets_shown(self, obj: Route) -> str:
        names = [c.name for c in obj.channels.all()] + obj.roles + obj.usernames
        return ", ".join(names)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The delivery log: read-only, with a retry action for failures."""

    list_display = [
        "created_at",
        "kind",
        "case_number",
        "risk_level",
        "target_shown",
        "status_shown",
        "attempts",
        "sent_at",
        "error_shown",
    ]
    list_filter = ["status", "channel", "kind", "risk_level"]
    search_fields = ["case_number", "alert_key"]
    list_select_related = ["channel", "user"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    readonly_fields = [
        "alert_key",
        "target_key",
        "kind",
        "case_number",
        "risk_level",
        "channel",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "merged_into",
        "last_error",
        "response",
        "alert",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("notifications.retry_notification")

    @admin.display(description=_("target"), ordering="target_key")
    def target_shown(self, obj: Notification) -> str:
        if obj.channel_id:
            return obj.channel.name
        if obj.user_id:
            return (
                f"{obj.user.get_username()} <{obj.recipient}>"
                if obj.recipient
                else obj.user.get_username()
            )
        return obj.recipient or obj.target_key

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj: Notification):
        colours = {Status.SENT: "#2e7d32", Status.FAILED: "#c62828"}
        return format_html(
            '<span style="color:{}">{}</span>',
            colours.get(obj.status, "#8d6e00"),
            obj.get_status_display(),
        )

    @admin.display(description=_("last error"))
    def error_shown(self, obj: Notification) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.action(description=_("Retry the selected failed notifications"), permissions=["retry"])
    def retry(self, request, queryset):
        retried, refused = 0, []
        for notification in queryset.order_by("pk"):
            try:
                services.notification_retry(notification=notification, actor=request.user)
            except ApplicationError as exc:
                refused.append(f"#{notification.pk}: {exc.message}")
            else:
                retried += 1
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notification queued again.",
                    "%(count)d notifications queued again.",
                    retried,
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(request, "; ".join(refused), messages.WARNING)
