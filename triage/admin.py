"""Triage rules in the admin, for people who do not program: signals with their patterns,
thresholds and negation words. Every saved change makes a new rule-set version (see models)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from triage import vocab
from triage.engine import PatternSpec, compile_pattern
from triage.models import (
    Pattern,
    RuleSet,
    RuleSetSnapshot,
    Signal,
    Source,
    TriageFeedback,
    TriageModel,
    TriageRun,
)
from triage.rulefiles import RulesFileError
from triage.selectors import RULESET_PK
from triage.services import (
    triage_model_activate,
    triage_rules_load,
    triage_rules_override_clear,
)


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = [
        "name", "version", "rules_edition", "overridden", "yellow_score", "red_score", "updated_at",
    ]  # fmt: skip
    readonly_fields = ["version", "rules_edition", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not RuleSet.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = RULESET_PK
        # Loading the shipped files again keeps what a person set here.
        obj.overridden = obj.overridden or bool(form.changed_data)
        super().save_model(request, obj, form, change)


class PatternFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        source = self.instance.source
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("text"):
                continue
            text = data["text"]
            if source == Source.CHANNEL:
                known = vocab.channels()
                if known and text.strip() not in known:
                    form.add_error(
                        "text",
                        _("Unknown channel code; use one of: %(codes)s")
                        % {"codes": ", ".join(known)},
                    )
                continue
            try:
                compile_pattern(
                    PatternSpec(text=text, kind=data.get("kind"), language=data.get("language"))
                )
            except ValueError as exc:
                form.add_error("text", str(exc))


class PatternInline(admin.TabularInline):
    model = Pattern
    formset = PatternFormSet
    fields = ["text", "kind", "language", "is_active"]
    extra = 3


class SignalForm(forms.ModelForm):
    class Meta:
        model = Signal
        fields = [
            "code", "name", "description", "is_active", "order", "min_level", "weight",
            "category", "source", "negatable", "context_exempt", "exclude_context",
            "context_window", "threshold", "only_with",
        ]  # fmt: skip

    def clean_only_with(self):
        codes = [c.strip() for c in self.cleaned_data["only_with"].split(",") if c.strip()]
        unknown = set(codes) - set(Signal.objects.values_list("code", flat=True))
        if unknown:
            raise ValidationError(
                _("Unknown signal code(s): %(codes)s") % {"codes": ", ".join(sorted(unknown))}
            )
        return ", ".join(codes)

    def clean_category(self):
        category = self.cleaned_data["category"].strip()
        known = vocab.categories()
        if category and known and category not in known:
            raise ValidationError(
                _("Unknown category; use one of: %(codes)s") % {"codes": ", ".join(known)}
            )
        return category

    def clean(self):
        data = super().clean()
        if data.get("source") in (Source.REPEAT, Source.AMOUNT) and data.get("threshold") is None:
            self.add_error("threshold", _("Repeat and amount signals need a threshold."))
        return data


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    form = SignalForm
    inlines = [PatternInline]
    list_display = [
        "name", "code", "source", "min_level", "weight", "is_active", "order", "shipped",
        "overridden",
    ]  # fmt: skip
    list_editable = ["weight", "is_active", "order"]
    list_filter = ["min_level", "source", "is_active", "shipped", "overridden"]
    actions = ["restore_shipped"]
    search_fields = ["code", "name", "patterns__text"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "is_active", "order"]}),
        (_("Effect"), {"fields": ["min_level", "weight", "category"]}),
        (
            _("Matching"),
            {
                "fields": [
                    "source",
                    "negatable",
                    "context_exempt",
                    "exclude_context",
                    "context_window",
                    "threshold",
                    "only_with",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def save_model(self, request, obj, form, change):
        # A shipped signal a person edits is theirs from now on: loading the files keeps it.
        if obj.shipped and form.changed_data:
            obj.overridden = True
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        signal = form.instance
        if signal.shipped and not signal.overridden and formset.has_changed():
            signal.overridden = True
            signal.save(update_fields=["overridden", "updated_at"])

    @admin.action(
        description=_("Restore the shipped version of the selected signals"),
        permissions=["change"],
    )
    def restore_shipped(self, request, queryset):
        shipped = queryset.filter(shipped=True)
        count = triage_rules_override_clear(signal_ids=shipped.values_list("pk", flat=True))
        try:
            triage_rules_load(force=True)
        except (OSError, RulesFileError) as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            _("%(count)d signal(s) restored to the shipped rules.") % {"count": count},
            messages.SUCCESS,
        )


@admin.register(RuleSetSnapshot)
class RuleSetSnapshotAdmin(admin.ModelAdmin):
    list_display = ["version", "created_at"]
    readonly_fields = ["version", "rules", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TriageRun)
class TriageRunAdmin(admin.ModelAdmin):
    list_display = [
        "case",
        "created_at",
        "trigger",
        "level",
        "rule_level",
        "model_level",
        "score",
        "outcome",
        "ruleset_version",
        "model_version",
        "duration_ms",
    ]
    list_filter = ["level", "trigger", "outcome", "ruleset_version"]
    search_fields = ["=case_number", "=case_id"]
    date_hierarchy = "created_at"
    # The case as people know it first; the id is kept for runs recorded before the number was.
    fields = [
        "case",
        "case_id",
        "created_at",
        "trigger",
        "outcome",
        "level",
        "rule_level",
        "model_level",
        "model_probability",
        "score",
        "reasons",
        "suggested_category",
        "ruleset_version",
        "model_version",
        "duration_ms",
    ]

    @admin.display(description=_("case"), ordering="case_number")
    def case(self, obj: TriageRun) -> str:
        return obj.case_number or _("id %(id)s") % {"id": obj.case_id}

    def get_readonly_fields(self, request, obj=None):
        return ["case", *(f.name for f in TriageRun._meta.fields)]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TriageModel)
class TriageModelAdmin(admin.ModelAdmin):
    list_display = [
        "pk", "created_at", "is_active", "pinned", "seed_rows", "case_rows", "label_counts",
        "params",
    ]  # fmt: skip
    list_filter = ["is_active"]
    exclude = ["blob"]
    actions = ["activate"]

    def has_activate_permission(self, request) -> bool:
        # Rows are read-only in the admin, so "change" is never granted through it; activating is
        # a change of which model triage uses, for whoever holds the change permission.
        return request.user.has_perm("triage.change_triagemodel")

    @admin.action(description=_("Use the selected model for triage"), permissions=["activate"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one model."), messages.ERROR)
            return
        row = triage_model_activate(model_id=queryset.get().pk, pinned=True)
        if row is None:
            self.message_user(request, _("This model no longer exists."), messages.ERROR)
            return
        self.message_user(
            request, _("Triage now uses model v%(pk)s.") % {"pk": row.pk}, messages.SUCCESS
        )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in TriageModel._meta.fields if f.name != "blob"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TriageFeedback)
class TriageFeedbackAdmin(admin.ModelAdmin):
    """Handlers' risk changes, kept for training (`manage.py triage_export_feedback`)."""

    list_display = ["case_number", "old_level", "new_level", "actor", "created_at"]
    list_filter = ["old_level", "new_level"]
    search_fields = ["=case_number", "=text_hash"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in TriageFeedback._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
