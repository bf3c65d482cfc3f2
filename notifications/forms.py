"""Admin forms for channels and routes: parse lists, keep credentials write-only."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext_lazy as _

from core.models import Store
from core.roles import ROLE_LABELS
from notifications.alerts import AlertKind
from notifications.messages import RISK_LABELS
from notifications.models import Channel, ChannelKind, Route
from notifications.redaction import url_display


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


class ListField(forms.CharField):
    """A list typed as comma- or line-separated text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 60}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        return _split(super().to_python(value) or "")


class ChannelForm(forms.ModelForm):
    # Credentials are write-only: the form never renders what is stored.
    new_url = forms.CharField(
        label=_("webhook URL"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"size": 80, "autocomplete": "off"}),
    )
    new_secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        max_length=256,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_secret = forms.BooleanField(label=_("remove the signing secret"), required=False)
    recipients = ListField(
        label=_("email recipients"), help_text=_("For email channels: addresses, comma-separated.")
    )

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "keyword",
            "recipients",
            "use_markdown",
            "language",
            "rate_limit_per_minute",
            "rate_limit_per_second",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.url:
            self.fields["new_url"].help_text = _(
                "Set: %(url)s — leave empty to keep it, or paste a new one."
            ) % {"url": url_display(self.instance.url)}
        else:
            self.fields["new_url"].help_text = _("Paste the full URL from the vendor.")
        if self.instance.pk and self.instance.secret:
            self.fields["new_secret"].help_text = _("A secret is set; leave empty to keep it.")
        else:
            self.fields["new_secret"].help_text = _("Only if the robot signs requests (加签).")

    def clean_recipients(self):
        recipients = self.cleaned_data["recipients"]
        for address in recipients:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("Not an email address: %(value)s"), params={"value": address}
                ) from None
        return recipients

    def clean_new_url(self):
        url = self.cleaned_data["new_url"].strip()
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise ValidationError(_("Give the full http(s) webhook URL.")) from None
        return url

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == ChannelKind.EMAIL:
            if not cleaned.get("recipients") and "recipients" not in self.errors:
                self.add_error("recipients", _("An email channel needs at least one address."))
        elif kind and not (cleaned.get("new_url") or self.instance.url):
            self.add_error("new_url", _("A webhook URL is required."))
        return cleaned

    def save(self, commit=True):
        channel = super().save(commit=False)
        if self.cleaned_data.get("new_url"):
            channel.url = self.cleaned_data["new_url"]
        if channel.kind == ChannelKind.EMAIL:
            channel.url = ""
        if self.cleaned_data.get("new_secret"):
            channel.secret = self.cleaned_data["new_secret"]
        elif self.cleaned_data.get("clear_secret"):
            channel.secret = ""
        if commit:
            channel.save()
        return channel


class RouteForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("alert kinds"), choices=AlertKind.choices, widget=forms.CheckboxSelectMultiple
    )
    risk_levels = forms.MultipleChoiceField(
        label=_("risk levels"),
        choices=list(RISK_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any level."),
    )
    store_codes = ListField(label=_("store codes"), help_text=_("Empty: any store."))
    regions = ListField(label=_("regions"), help_text=_("Empty: any region."))
    escalation_levels = ListField(
        label=_("escalation levels"), help_text=_("Numbers, e.g. 1, 2. Empty: any level.")
    )
    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=list(ROLE_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Users with these roles get an email."),
    )
    usernames = ListField(label=_("usernames"), help_text=_("These users get an email."))

    class Meta:
        model = Route
        fields = [
            "name",
            "kinds",
            "risk_levels",
            "store_codes",
            "regions",
            "escalation_levels",
            "channels",
            "roles",
            "usernames",
            "is_active",
        ]

    def clean_escalation_levels(self):
        levels = []
        for value in self.cleaned_data["escalation_levels"]:
            if not value.isdigit():
                raise ValidationError(_("Not a level number: %(value)s"), params={"value": value})
            levels.append(int(value))
        return sorted(set(levels))

    def clean_store_codes(self):
        codes = sorted(set(self.cleaned_data["store_codes"]))
        known = set(Store.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValidationError(
                _("Unknown store codes: %(codes)s"), params={"codes": ", ".join(unknown)}
            )
        return codes

    def clean_usernames(self):
        names = sorted(set(self.cleaned_data["usernames"]))
        known = set(
            get_user_model().objects.filter(username__in=names).values_list("username", flat=True)
        )
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValidationError(
                _("Unknown users: %(names)s"), params={"names": ", ".join(unknown)}
            )
        return names

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("channels") or cleaned.get("roles") or cleaned.get("usernames")):
            if not self.errors:
                raise ValidationError(_("Choose channels, roles or users to send to."))
        return cleaned
