"""The Case and its audit trail.

State changes are declared here as django-fsm transitions that touch only the case's own fields;
who may run them, what input they need and what else happens lives in `cases.services`, which is
the only code that calls them.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.choices import RiskLevel  # noqa: F401  (part of this module's interface)
from core.masking import mask_name, mask_phone, scrub_phones
from core.models import Store


class State(models.TextChoices):
    NEW = "new", _("New")
    RESPONDED = "responded", _("Responded")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")
    MERGED = "merged", _("Merged")
    REJECTED = "rejected", _("Rejected")


OPEN_STATES = (State.NEW, State.RESPONDED, State.RESOLVED)


class Channel(models.TextChoices):
    STORE = "store", _("Store")
    HOTLINE = "hotline", _("Hotline")
    APP = "app", _("App")
    SOCIAL_MEDIA = "social_media", _("Social media")
    MEDIA = "media", _("News media")
    REGULATOR = "regulator", _("Regulator (12315 / market regulation)")
    POLICE_COURT = "police_court", _("Police / court")
    EMAIL = "email", _("Email")
    OTHER = "other", _("Other")


class Category(models.TextChoices):
    FOOD_SAFETY = "food_safety", _("Food safety")
    FOREIGN_OBJECT = "foreign_object", _("Foreign object")
    SPOILED_EXPIRED = "spoiled_expired", _("Spoiled / expired")
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    DELIVERY = "delivery", _("Delivery")
    REFUND_PRICE = "refund_price", _("Refund / price")
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    IN_STORE_SAFETY = "in_store_safety", _("In-store safety")
    PRIVACY = "privacy", _("Privacy")
    OTHER = "other", _("Other")


RISK_ORDER = {RiskLevel.BLUE: 0, RiskLevel.YELLOW: 1, RiskLevel.RED: 2}


class CloseReason(models.TextChoices):
    CUSTOMER_CONFIRMED = "customer_confirmed", _("Customer confirmed the resolution")
    CUSTOMER_UNREACHABLE = "customer_unreachable", _("Customer unreachable")


class Case(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="cases"
    )
    order_ref = models.CharField(_("order reference"), max_length=64, blank=True, db_index=True)
    amount = models.DecimalField(
        _("amount involved"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    customer_name = models.CharField(_("customer name"), max_length=64, blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=20, blank=True)
    customer_contact = models.CharField(_("other customer contact"), max_length=200, blank=True)

    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.BLUE
    )
    risk_reason = models.TextField(_("risk reason"), blank=True)
    risk_score = models.FloatField(_("risk score"), default=0)
    risk_reasons = models.JSONField(_("risk signals"), default=list, blank=True)
    risk_overridden = models.BooleanField(
        _("risk level set by a person"),
        default=False,
        help_text=_("Triage may then only suggest a higher level, never change it."),
    )
    risk_suggestion = models.JSONField(
        _("suggested risk"),
        default=dict,
        blank=True,
        help_text=_(
            "A higher level proposed by triage after a manual override: level, score, reasons."
        ),
    )
    suggested_category = models.CharField(
        _("suggested category"), max_length=20, choices=Category.choices, blank=True
    )

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_cases",
    )
    state = FSMField(
        _("state"), default=State.NEW, choices=State.choices, protected=True, db_index=True
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    close_reason = models.CharField(
        _("close reason"), max_length=32, choices=CloseReason.choices, blank=True
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
    )
    intake_key = models.CharField(_("idempotency key"), max_length=128, blank=True)
    # sha256 of the intake, so that a reused key with a different complaint is refused
    intake_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Indexed: the hand-off reconcile sweep looks for recently committed cases.
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "intake_key"],
                condition=~Q(intake_key=""),
                name="case_unique_intake_key_per_reporter",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "-received_at"], name="case_store_received"),
            models.Index(fields=["risk_level", "state"], name="case_risk_state"),
            models.Index(fields=["assignee", "state"], name="case_assignee_state"),
            models.Index(fields=["customer_phone"], name="case_customer_phone"),
        ]
        permissions = [
            ("view_all_cases", _("Can see the cases of every store")),
            ("view_customer_pii", _("Can reveal the customer's name and phone")),
            ("add_case_note", _("Can add notes and contact attempts to a case")),
            ("add_case_attachment", _("Can add attachments to a case")),
            ("assign_case", _("Can assign and reassign cases")),
            ("set_case_risk", _("Can change a case's risk level")),
            ("respond_case", _("Can record the first response")),
            ("resolve_case", _("Can resolve a case")),
            ("close_case", _("Can close a case")),
            ("reopen_case", _("Can reopen a case")),
            ("merge_case", _("Can merge a case into another")),
            ("reject_case", _("Can reject a case")),
            ("archive_case", _("Can archive a case")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {scrub_phones(self.title)}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.customer_phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.customer_name)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # --- transitions: only the case's own fields; called only by cases.services, always with
    # `at` (the time), `actor` and the transition form's cleaned data as keyword arguments ---

    @transition(field=state, source=State.NEW, target=State.RESPONDED)
    def respond(self, *, at, actor, **_) -> None:
        if self.first_responded_at is None:
            self.first_responded_at = at
        if self.assignee_id is None:
            self.assignee = actor

    @transition(field=state, source=State.RESPONDED, target=State.RESOLVED)
    def resolve(self, *, at, resolution: str, **_) -> None:
        self.resolved_at = at
        self.resolution = resolution

    @transition(field=state, source=State.RESOLVED, target=State.CLOSED)
    def close(self, *, at, close_reason: str, **_) -> None:
        self.closed_at = at
        self.close_reason = close_reason

    @transition(field=state, source=[State.RESOLVED, State.CLOSED], target=State.RESPONDED)
    def reopen(self, **_) -> None:
        self.resolved_at = None
        self.closed_at = None
        self.close_reason = ""

    @transition(
        field=state, source=[State.CLOSED, State.MERGED, State.REJECTED], target=State.ARCHIVED
    )
    def archive(self, *, at, **_) -> None:
        self.archived_at = at

    @transition(field=state, source=list(OPEN_STATES), target=State.MERGED)
    def merge(self, *, into: "Case", **_) -> None:
        self.merged_into = into

    @transition(field=state, source=[State.NEW, State.RESPONDED], target=State.REJECTED)
    def reject(self, **_) -> None:
        pass


class DailyCaseCounter(models.Model):
    """Last case number handed out per local day; the row lock serialises numbering."""

    day = models.DateField(unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily case counter")
        verbose_name_plural = _("daily case counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last_value}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Details edited")
    MERGED_IN = "merged_in", _("Case merged in")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    ESCALATED = "escalated", _("Escalated")
    ESCALATION_ACKNOWLEDGED = "acknowledged", _("Escalation acknowledged")
    TRANSITION = "transition", _("State changed")
    ASSIGNED = "assigned", _("Assigned")
    RISK_CHANGED = "risk_changed", _("Risk level changed")
    NOTE = "note", _("Note")
    CONTACT_ATTEMPT = "contact_attempt", _("Contact attempt")
    ATTACHMENT = "attachment", _("Attachment added")
    PII_REVEALED = "pii_revealed", _("Customer data revealed")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    UNREACHABLE = "unreachable", _("Unreachable")


class CaseEvent(models.Model):
    """One line of a case's audit trail. Written once, never changed or deleted."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    transition = models.CharField(_("transition"), max_length=20, blank=True)
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "kind"], name="caseevent_case_kind")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Case events are immutable."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Case events are immutable."))


_EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
    "application/pdf": ".pdf",
}  # fmt: skip


def attachment_path(instance: "Attachment", filename: str) -> str:
    """A generated name: the uploaded one (any length, any script) is kept in `original_name`."""
    return f"cases/{instance.case.number}/{uuid.uuid4().hex}{_EXTENSIONS.get(instance.content_type, '')}"


class Attachment(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name
