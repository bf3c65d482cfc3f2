"""The transition table as data: who may run each transition and what input it needs.

The allowed moves between states are declared once, on the model (django-fsm); this module adds
the permission each needs and the form that validates its input. Admin, store pages and API all
use these forms, and `cases.services.case_transition` is the only caller of the model methods.
"""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import CloseReason


class RespondForm(forms.Form):
    note = forms.CharField(
        label=_("Response to the customer"), widget=forms.Textarea, max_length=10_000
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea, max_length=10_000)


class CloseForm(forms.Form):
    close_reason = forms.ChoiceField(label=_("Close reason"), choices=CloseReason.choices)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea, required=False, max_length=10_000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea, max_length=10_000)


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Merge into case number"), max_length=20)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea, required=False, max_length=10_000
    )


class ArchiveForm(forms.Form):
    pass


@dataclass(frozen=True)
class TransitionSpec:
    name: str
    label: str
    permission: str
    form: type[forms.Form]


TRANSITIONS: dict[str, TransitionSpec] = {
    spec.name: spec
    for spec in (
        TransitionSpec("respond", _("Respond"), "cases.respond_case", RespondForm),
        TransitionSpec("resolve", _("Resolve"), "cases.resolve_case", ResolveForm),
        # a context of its own: Django's admin has a "Close" button (关闭) that is not this (结案)
        TransitionSpec(
            "close", pgettext_lazy("case transition", "Close"), "cases.close_case", CloseForm
        ),
        TransitionSpec("reopen", _("Reopen"), "cases.reopen_case", ReasonForm),
        TransitionSpec("merge", _("Merge"), "cases.merge_case", MergeForm),
        TransitionSpec("reject", _("Reject"), "cases.reject_case", ReasonForm),
        TransitionSpec("archive", _("Archive"), "cases.archive_case", ArchiveForm),
    )
}
