"""Forms of the store staff pages. They parse and validate input only; the views call the services.

Attachments are validated here with the same validator the service uses, so that a bad file is a
form error before anything is written (no half-created case).
"""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case, State
from cases.selectors import case_store_choices
from cases.services import CaseIntake
from cases.validators import validate_attachment
from core.exceptions import ApplicationError, InvalidInput
from core.validators import validate_phone

MAX_FILES_PER_SUBMIT = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked with `cases.validators.validate_attachment`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_FILES_PER_SUBMIT:
            raise forms.ValidationError(
                _("At most %(n)d files can be uploaded at once.") % {"n": MAX_FILES_PER_SUBMIT},
                code="too_many",
            )
        errors = []
        for uploaded in files:
            super().clean(uploaded, initial)
            try:
                validate_attachment(uploaded)
            except InvalidInput as exc:
                reason = exc.fields.get("file", exc.message)
                errors.append(
                    forms.ValidationError(
                        _("%(name)s: %(reason)s"),
                        code="invalid_attachment",
                        params={"name": uploaded.name, "reason": reason},
                    )
                )
        if errors:
            raise forms.ValidationError(errors)
        return files


def _model_field(name: str, **overrides) -> forms.Field:
    """The form field Django derives from the model (label, length, choices), adjusted."""
    return Case._meta.get_field(name).formfield(**overrides)


class CaseReportForm(forms.Form):
    store = forms.ModelChoiceField(label=_("Store"), queryset=None, empty_label=None)
    channel = _model_field("channel")
    category = _model_field("category")
    title = _model_field("title")
    description = _model_field(
        "description",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What happened, what the customer wants, and anything they threatened to do "
            "(post online, call the media or the regulator)."
        ),
    )
    received_at = forms.DateTimeField(
        label=_("Complaint received at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When the customer complained. Leave as is if it was just now."),
    )
    order_ref = _model_field("order_ref")
    amount = _model_field("amount", min_value=0)
    customer_name = _model_field("customer_name")
    customer_phone = _model_field(
        "customer_phone",
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    customer_contact = _model_field("customer_contact")
    attachments = MultipleFileField(
        label=_("Photos or documents"),
        help_text=_("Optional. JPEG, PNG, GIF, WebP or PDF."),
    )
    # Rendered into the page once; a second submit of the same page reuses it, and the service
    # answers with the case the first submit created.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128, required=False)

    def __init__(self, *args, user, now, **kwargs):
        super().__init__(*args, **kwargs)
        stores = case_store_choices(user=user)
        self.fields["store"].queryset = stores
        self.fields["received_at"].initial = now
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
            only = list(stores[:2])
            if len(only) == 1:
                self.initial.setdefault("store", only[0].pk)

    def intake(self) -> CaseIntake:
        data = self.cleaned_data
        return CaseIntake(
            title=data["title"],
            description=data["description"],
            channel=data["channel"],
            category=data["category"],
            store=data["store"],
            received_at=data["received_at"],
            order_ref=data["order_ref"],
            amount=data["amount"],
            customer_name=data["customer_name"],
            customer_phone=data["customer_phone"].strip(),
            customer_contact=data["customer_contact"],
        )


class CaseAddInfoForm(forms.Form):
    """A note and/or attachments added to a case; at least one of the two."""

    text = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("New facts, what the customer said, what the store did."),
    )
    attachments = MultipleFileField(label=_("Photos or documents"))

    def __init__(self, *args, may_note: bool, may_attach: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_note:
            del self.fields["text"]
        if not may_attach:
            del self.fields["attachments"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not (data.get("text") or "").strip() and not data.get("attachments"):
            raise forms.ValidationError(_("Write a note or choose a file to upload."), code="empty")
        return data


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": _("Number, order, last 4 phone digits, text")}
        ),
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *State.choices]
    )


def add_service_error(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's refusal on the form: per field where the form has that field."""
    placed = False
    for name, message in exc.fields.items():
        field = name if name in form.fields else None
        if name == "file" and "attachments" in form.fields:
            field = "attachments"
        form.add_error(field, str(message))
        placed = True
    if not placed:
        form.add_error(None, str(exc.message))
