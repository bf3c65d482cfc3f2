"""The handlers' desk in the Django admin. Every write goes through `cases.services`."""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases import selectors, services
from cases.filters import case_search_q
from cases.models import OPEN_STATES, Case, RiskLevel, State
from cases.transitions import TRANSITIONS
from core.exceptions import ApplicationError
from core.masking import scrub_phones
from core.roles import ROLE_LABELS
from core.validators import validate_phone

RISK_COLOURS = {RiskLevel.RED: "#d32f2f", RiskLevel.YELLOW: "#f9a825", RiskLevel.BLUE: "#1976d2"}


def risk_badge(level: str, label: str):
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 8px;border-radius:8px;'
        'font-weight:600;white-space:nowrap">{}</span>',
        RISK_COLOURS.get(level, "#777"),
        label,
    )


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assignment")
    parameter_name = "assignment"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("none", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset


class StatusFilter(admin.SimpleListFilter):
    """The desk works open cases: the list shows them unless another status is chosen."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("open", _("Open")),
            ("settled", _("Closed or archived")),
            ("gone", _("Merged or rejected")),
            ("all", _("All")),
        ]

    def value(self):
        return super().value() or "open"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        states = {
            "open": OPEN_STATES,
            "settled": (State.CLOSED, State.ARCHIVED),
            "gone": (State.MERGED, State.REJECTED),
        }.get(self.value())
        return queryset.filter(state__in=states) if states else queryset


class CaseAddForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = [
            "title", "description", "channel", "category", "store", "received_at", "order_ref",
            "amount", "customer_name", "customer_phone", "customer_contact",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_at"].required = False
        self.fields["received_at"].help_text = _("When the customer complained; empty means now.")
        self.fields["customer_phone"].validators.append(validate_phone)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("received_at"):
            try:
                services.validate_received_at(cleaned["received_at"], now=timezone.now())
            except ApplicationError as exc:
                for field, message in exc.fields.items():
                    self.add_error(field, message)
        return cleaned


class CaseChangeForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = list(services.EDITABLE_FIELDS)


def _assign_form(case):
    # whoever may work cases (the permission, not a group name: roles are editable)
    perm = Permission.objects.get(content_type__app_label="cases", codename="respond_case")
    users = get_user_model().objects.filter(
        Q(groups__permissions=perm) | Q(user_permissions=perm), is_active=True
    )
    return type(
        "AssignForm",
        (forms.Form,),
        {
            "assignee": DeskUserChoiceField(
                label=_("Assignee"),
                queryset=users.distinct().prefetch_related("groups").order_by("username"),
                required=False,
                initial=case.assignee_id,
            )
        },
    )


class DeskUserChoiceField(forms.ModelChoiceField):
    """People by name and role (`王敏 (handler2) — 客诉专员`), not bare usernames."""

    def label_from_instance(self, user):
        name = user.get_full_name() or user.username
        who = name if name == user.username else f"{name} ({user.username})"
        roles = ", ".join(
            str(ROLE_LABELS[g.name]) for g in user.groups.all() if g.name in ROLE_LABELS
        )
        return f"{who} — {roles}" if roles else who


class RiskForm(forms.Form):
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            ("note", _("Internal note")),
            ("customer_info", _("New information from the customer (re-triaged)")),
            ("contact_attempt", _("Contact attempt")),
        ],
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea)
    outcome = forms.ChoiceField(
        label=_("Outcome (contact attempts)"),
        required=False,
        choices=[("", "—"), ("reached", _("Reached")), ("unreachable", _("Unreachable"))],
    )


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "risk", "state", "store", "channel", "assignee", "age", "short_title"]
    list_display_links = ["number", "short_title"]
    list_filter = [
        StatusFilter, "risk_level", AssignmentFilter, "store", "channel", "category", "state",
        ("assignee", admin.RelatedOnlyFieldListFilter),
    ]  # fmt: skip
    list_select_related = ["store", "assignee"]
    list_per_page = 50
    search_fields = ["number"]  # the real search is case_search_q (see get_search_results)
    search_help_text = _("Case number, order reference, last 4 digits of the phone, or text")
    date_hierarchy = "received_at"
    ordering = ["-received_at", "-id"]
    show_full_result_count = False
    change_form_template = "admin/cases/case/change_form.html"
    actions = ["export_csv"]
    readonly_when_changing = [
        "number", "state", "risk_level", "risk_score", "risk_reason", "store", "assignee",
        "reporter", "customer_name_masked", "customer_phone_masked", "received_at",
        "first_responded_at", "resolved_at", "closed_at", "archived_at", "resolution",
        "close_reason", "merged_into",
    ]  # fmt: skip

    def lookup_allowed(self, lookup, value, request=None):
        # filtering on customer data would reveal it to roles that may not see it
        field = lookup.split("__")[0]
        if field in ("customer_phone", "customer_name", "customer_contact"):
            return False
        if field in ("title", "description", "resolution") and not (
            request and request.user.has_perm("cases.view_customer_pii")
        ):
            return False  # free text may hold a number these roles see masked
        return super().lookup_allowed(lookup, value, request)

    # --- list ---

    def get_queryset(self, request):
        return selectors.case_list(user=request.user)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        may_see_pii = request.user.has_perm("cases.view_customer_pii")
        return queryset.filter(case_search_q(search_term, may_see_pii=may_see_pii)), False

    @admin.display(description=_("risk"), ordering="risk_level")
    def risk(self, case):
        return risk_badge(case.risk_level, case.get_risk_level_display())

    @admin.display(description=_("age"), ordering="received_at")
    def age(self, case):
        delta = timezone.now() - case.received_at
        hours, rem = divmod(int(delta.total_seconds()) // 60, 60)
        if hours >= 48:
            return _("%(d)d d") % {"d": hours // 24}
        return f"{hours}:{rem:02d}"

    @admin.display(description=_("title"), ordering="title")
    def short_title(self, case):
        return scrub_phones(case.title)

    @admin.display(description=_("customer name"))
    def customer_name_masked(self, case):
        return case.masked_name

    @admin.display(description=_("customer phone"))
    def customer_phone_masked(self, case):
        return case.masked_phone

    @admin.action(description=_("Export selected cases as CSV (customer data masked)"))
    def export_csv(self, request, queryset):
        columns = [
            ("number", _("case number")), ("state", _("state")), ("risk_level", _("risk level")),
            ("store", _("store")), ("channel", _("channel")), ("category", _("category")),
            ("title", _("title")), ("assignee", _("assignee")), ("received_at", _("received at")),
            ("first_responded_at", _("first responded at")), ("closed_at", _("closed at")),
            ("customer_name", _("customer name")), ("customer_phone", _("customer phone")),
        ]  # fmt: skip
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="cases.csv"'
        response.write("\ufeff")  # so that Excel opens the Chinese text as UTF-8
        writer = csv.writer(response)
        writer.writerow([str(label) for _field, label in columns])
        for case in queryset.select_related("store", "assignee").order_by("received_at"):
            writer.writerow(_csv_row(case))
        return response

    # --- forms: add goes through case_create, change through case_update_details ---

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = CaseChangeForm if obj is not None else CaseAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": CaseAddForm.Meta.fields})]
        fieldsets = self._fieldsets()
        if self._masks_text(request, obj):
            fieldsets = [
                (title, {"fields": [self.MASKED_TEXT.get(f, f) for f in options["fields"]]})
                for title, options in fieldsets
            ]
        return fieldsets

    def _fieldsets(self):
        return [
            (None, {"fields": ["number", "state", "title", "description", "channel", "category",
                               "store", "order_ref", "amount"]}),
            (_("Risk"), {"fields": ["risk_level", "risk_score", "risk_reason"]}),
            (_("People"), {"fields": ["assignee", "reporter", "customer_name_masked",
                                      "customer_phone_masked"]}),
            (_("Timestamps"), {"fields": ["received_at", "first_responded_at", "resolved_at",
                                          "closed_at", "archived_at"]}),
            (_("Outcome"), {"fields": ["resolution", "close_reason", "merged_into"]}),
        ]  # fmt: skip

    # free text that may hold a customer's number, shown masked to roles without the PII right
    MASKED_TEXT = {"title": "title_masked", "description": "description_masked",
                   "resolution": "resolution_masked"}  # fmt: skip

    def _masks_text(self, request, obj) -> bool:
        return obj is not None and not request.user.has_perm("cases.view_customer_pii")

    def get_readonly_fields(self, request, obj=None):
        fields = self.readonly_when_changing if obj is not None else []
        if self._masks_text(request, obj):
            fields = [*fields, *self.MASKED_TEXT.values()]
        return fields

    @admin.display(description=_("title"))
    def title_masked(self, case):
        return scrub_phones(case.title)

    @admin.display(description=_("description"))
    def description_masked(self, case):
        return scrub_phones(case.description)

    @admin.display(description=_("resolution"))
    def resolution_masked(self, case):
        return scrub_phones(case.resolution)

    def has_delete_permission(self, request, obj=None):
        return False  # cases are archived, never deleted

    def save_model(self, request, obj, form, change):
        # The admin's own save is replaced by the services; errors become form errors upstream.
        if change:
            services.case_update_details(
                case=obj,
                actor=request.user,
                changes={name: form.cleaned_data[name] for name in form.changed_data},
            )
            return
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k == "amount"}
        case, _created = services.case_create(
            intake=services.CaseIntake(**data), actor=request.user
        )
        obj.pk, obj.number = case.pk, case.number

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_change_permission(self, request, obj=None):
        # A settled case is a record: read-only (reopening is a transition, not an edit).
        if obj is not None and not obj.is_open:
            return False
        return super().has_change_permission(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        """The case's history is its timeline (every change is a CaseEvent, not a LogEntry)."""
        case = self.get_object(request, object_id)
        if case is None:
            raise Http404(_("Not found."))
        url = reverse("admin:cases_case_change", args=[case.pk])
        return HttpResponseRedirect(f"{url}#case-timeline")

    def save_related(self, request, form, formsets, change):
        pass  # inlines on the case page are read-only views; nothing else is saved here

    def construct_change_message(self, request, form, formsets, add=False):
        return []  # the case's own audit trail (CaseEvent) records changes, not LogEntry

    def log_addition(self, request, obj, message):
        pass

    log_change = log_addition

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        case = self.get_object(request, object_id)
        if case is not None:
            extra_context.update(
                transitions=selectors.case_available_transitions(case=case, user=request.user),
                timeline=selectors.case_timeline(case=case, user=request.user),
                suggested_level=dict(RiskLevel.choices).get(
                    (case.risk_suggestion or {}).get("level"), ""
                ),
                attachments=case.attachments.all(),
                can_assign=request.user.has_perm("cases.assign_case") and case.is_open,
                can_set_risk=request.user.has_perm("cases.set_case_risk"),
                can_reveal=request.user.has_perm("cases.view_customer_pii"),
                mask_text=not request.user.has_perm("cases.view_customer_pii"),
                can_note=request.user.has_perm("cases.add_case_note"),
                risk_colour=RISK_COLOURS.get(case.risk_level, "#777"),
                risk_badge=risk_badge(case.risk_level, case.get_risk_level_display()),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # --- actions on one case: each a small form page that calls one service ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/transition/<str:name>/", wrap(self.transition_view),
                 name="cases_case_transition"),
            path("<int:pk>/assign/", wrap(self.assign_view), name="cases_case_assign"),
            path("<int:pk>/risk/", wrap(self.risk_view), name="cases_case_risk"),
            path("<int:pk>/note/", wrap(self.note_view), name="cases_case_note"),
            path("<int:pk>/reveal/", wrap(self.reveal_view), name="cases_case_reveal"),
            *super().get_urls(),
        ]  # fmt: skip

    def _case(self, request, pk) -> Case:
        case = self.get_queryset(request).filter(pk=pk).first()
        if case is None:
            raise Http404
        return case

    def _action_page(self, request, case, form, title, run):
        if request.method == "POST" and form.is_valid():
            try:
                run(form.cleaned_data)
            except ApplicationError as exc:
                for field, message in exc.fields.items():
                    form.add_error(field if field in form.fields else None, message)
                if not exc.fields:
                    self.message_user(request, _error_text(exc), messages.ERROR)
                    return HttpResponseRedirect(self._change_url(case))
            else:
                self.message_user(request, _("%(title)s: done.") % {"title": title})
                return HttpResponseRedirect(self._change_url(case))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": case,
            "title": f"{title} — {case.number}",
            "form": form,
            "change_url": self._change_url(case),
        }
        return TemplateResponse(request, "admin/cases/case/action_form.html", context)

    def _change_url(self, case):
        return reverse("admin:cases_case_change", args=[case.pk])

    def transition_view(self, request, pk, name):
        case = self._case(request, pk)
        spec = TRANSITIONS.get(name)
        if spec is None:
            raise Http404
        form = spec.form(request.POST or None)

        def run(cleaned):
            services.case_transition(
                case=case, transition=name, actor=request.user, data=request.POST
            )

        return self._action_page(request, case, form, spec.label, run)

    def assign_view(self, request, pk):
        case = self._case(request, pk)
        form = _assign_form(case)(request.POST or None)

        def run(cleaned):
            services.case_assign(case=case, assignee=cleaned["assignee"], actor=request.user)

        return self._action_page(request, case, form, _("Assign"), run)

    def risk_view(self, request, pk):
        case = self._case(request, pk)
        form = RiskForm(request.POST or None, initial={"risk_level": case.risk_level})

        def run(cleaned):
            services.case_set_risk(
                case=case, level=cleaned["risk_level"], reason=cleaned["reason"], actor=request.user
            )

        return self._action_page(request, case, form, _("Change risk level"), run)

    def note_view(self, request, pk):
        case = self._case(request, pk)
        form = NoteForm(request.POST or None)

        def run(cleaned):
            kind = cleaned["kind"]
            services.case_add_note(
                case=case,
                actor=request.user,
                kind="note" if kind == "customer_info" else kind,
                text=cleaned["text"],
                outcome=cleaned["outcome"],
                # an internal note is internal whoever writes it; a contact attempt follows the
                # service's default (the desk's call log is its own words)
                customer_info={"note": False, "customer_info": True}.get(kind),
            )

        return self._action_page(request, case, form, _("Add note"), run)

    def reveal_view(self, request, pk):
        case = self._case(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(case))
        try:
            data = services.case_reveal_customer(case=case, actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return HttpResponseRedirect(self._change_url(case))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": case,
            "title": _("Customer data — %(number)s") % {"number": case.number},
            "revealed": data,
            "change_url": self._change_url(case),
        }
        return TemplateResponse(request, "admin/cases/case/action_form.html", context)


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _csv_row(case: Case) -> list[str]:
    # Spreadsheet formula injection: a cell starting with = + - @ would be evaluated by Excel.
    def safe(text: str) -> str:
        return "'" + text if text[:1] in ("=", "+", "-", "@") else text

    return [
        case.number, case.get_state_display(), case.get_risk_level_display(), case.store.code,
        case.get_channel_display(), case.get_category_display(), safe(scrub_phones(case.title)),
        case.assignee.username if case.assignee else "", _local(case.received_at),
        _local(case.first_responded_at), _local(case.closed_at), case.masked_name,
        case.masked_phone,
    ]  # fmt: skip


def _error_text(exc: ApplicationError) -> str:
    parts = [str(exc.message)] + [f"{k}: {v}" for k, v in exc.fields.items()]
    return " ".join(parts)
