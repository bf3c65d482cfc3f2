"""Triage rules (edited in the admin, versioned), recorded runs and trained models.

Any change to a rule-set row, a signal or a pattern bumps `RuleSet.version` in the same
transaction (see `triage.services`), and after commit a `RuleSetSnapshot` keeps the rules exactly
as that version had them. Each `TriageRun` records the version it ran under. Triage knows nothing
about cases: a run stores the case's id as a plain integer.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    BLUE = "blue", _("Blue")


class RuleSet(models.Model):
    """The one active rule set (pk=1): thresholds and negation vocabulary shared by all signals."""

    name = models.CharField(_("name"), max_length=100, default="default")
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    negation_cues = models.TextField(
        _("negation cues"),
        blank=True,
        help_text=_(
            "One per line. A signal word shortly after one of these in the same clause does not "
            "fire (e.g. 不会, 不打算)."
        ),
    )
    retraction_cues = models.TextField(
        _("retraction cues"),
        blank=True,
        help_text=_(
            "One per line. A signal word directly followed by one of these does not fire "
            "(e.g. 就算了, 没必要)."
        ),
    )
    context_cues = models.JSONField(
        _("context cues"),
        default=dict,
        blank=True,
        help_text=_(
            "Cue words per context family: conditional, hypothetical, hypothetical_endings, "
            "rhetorical, other_person (lists of words), and scope_window (characters)."
        ),
    )
    negation_window = models.PositiveSmallIntegerField(
        _("negation window (characters)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    yellow_score = models.FloatField(
        _("score for yellow"),
        default=30,
        validators=[MinValueValidator(0)],
        help_text=_("Summed weights at or above this make a case at least yellow."),
    )
    red_score = models.FloatField(
        _("score for red"),
        default=90,
        validators=[MinValueValidator(0)],
        help_text=_("Summed weights at or above this make a case red."),
    )
    model_min_probability = models.FloatField(
        _("model confidence to raise"),
        default=0.8,
        validators=[MinValueValidator(0.34), MaxValueValidator(1)],
        help_text=_("The learned model raises a level only with at least this probability."),
    )
    repeat_window_days = models.PositiveSmallIntegerField(
        _("repeat window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Earlier complaints with the same phone or order within this many days count."),
    )
    # Where the rules came from: the shipped files (`triage/rules/`) at this edition and content
    # hash; `overridden` once a person changed the thresholds or cues in the admin, so that loading
    # the files again keeps that edit.
    rules_edition = models.PositiveIntegerField(
        _("shipped rules edition"), default=0, editable=False
    )
    rules_digest = models.CharField(
        _("shipped rules digest"), max_length=64, blank=True, editable=False
    )
    overridden = models.BooleanField(
        _("edited in the admin"),
        default=False,
        help_text=_(
            "Loading the shipped rules keeps the thresholds and cues of an edited rule set."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule set")
        permissions = [("preview_triage", _("Can preview the risk level of a text"))]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Source(models.TextChoices):
    TEXT = "text", _("Words in the text")
    CHANNEL = "channel", _("Channel the complaint came through")
    REPEAT = "repeat", _("Earlier complaints of the same customer/order")
    AMOUNT = "amount", _("Amount involved")


class Signal(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Shown to handlers as the reason, e.g. 媒体曝光.")
    )
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(
        _("fires on"), max_length=10, choices=Source.choices, default=Source.TEXT
    )
    min_level = models.CharField(
        _("minimum level"),
        max_length=10,
        choices=Level.choices,
        default=Level.BLUE,
        help_text=_("The level this signal forces at least."),
    )
    weight = models.FloatField(
        _("weight"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Added to the score when the signal fires."),
    )
    negatable = models.BooleanField(
        _("negation applies"), default=True, help_text=_("“不会去曝光” does not fire.")
    )
    exclude_context = models.TextField(
        _("excluded context"),
        blank=True,
        help_text=_(
            "One term per line. A match with one of these nearby does not count (e.g. 洗发水 "
            "near 头发)."
        ),
    )
    context_window = models.PositiveSmallIntegerField(
        _("context window (characters)"),
        default=12,
        validators=[MaxValueValidator(100)],
    )
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Repeat: number of earlier complaints; amount: the amount in yuan."),
    )
    only_with = models.CharField(
        _("only together with"),
        max_length=200,
        blank=True,
        help_text=_("Signal codes, comma-separated: counts only when one of them fired too."),
    )
    context_exempt = models.CharField(
        _("context families that do not apply"),
        max_length=200,
        blank=True,
        help_text=_(
            "Comma-separated: negated, conditional, hypothetical, question, quoted, other_person. "
            "E.g. a brand's safety scandal reported in the news still counts."
        ),
    )
    category = models.CharField(
        _("suggested category"),
        max_length=20,
        blank=True,
        help_text=_("Category suggested when this signal fires and the reporter chose “other”."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    # Shipped: comes from `triage/rules/signals/`; overridden: a person edited it (or its patterns)
    # in the admin, so loading the files again leaves it as the person left it.
    shipped = models.BooleanField(_("shipped"), default=False, editable=False)
    overridden = models.BooleanField(
        _("edited in the admin"),
        default=False,
        help_text=_("Loading the shipped rules leaves an edited signal as it is."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PatternKind(models.TextChoices):
    KEYWORD = "keyword", _("Keyword (* = anything in between)")
    REGEX = "regex", _("Regular expression")


class Language(models.TextChoices):
    ZH = "zh", _("Chinese")
    EN = "en", _("English")


class Pattern(models.Model):
    signal = models.ForeignKey(
        Signal, verbose_name=_("signal"), on_delete=models.CASCADE, related_name="patterns"
    )
    text = models.CharField(
        _("pattern"),
        max_length=200,
        help_text=_(
            "For a channel signal: the channel code. Keywords are matched after normalisation "
            "(simplified, half-width, symbols removed)."
        ),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=PatternKind.choices, default=PatternKind.KEYWORD
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ZH
    )
    is_active = models.BooleanField(_("active"), default=True)
    shipped = models.BooleanField(_("shipped"), default=False, editable=False)

    class Meta:
        ordering = ["signal", "id"]
        verbose_name = _("pattern")
        verbose_name_plural = _("patterns")
        constraints = [
            models.UniqueConstraint(
                fields=["signal", "text", "language"], name="triage_pattern_unique_per_signal"
            )
        ]

    def __str__(self) -> str:
        return self.text


class RuleSetSnapshot(models.Model):
    """The rules exactly as one version had them, for explaining an old run."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    rules = models.JSONField(_("rules"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("rule set version")
        verbose_name_plural = _("rule set versions")

    def __str__(self) -> str:
        return f"v{self.version}"


class Trigger(models.TextChoices):
    INTAKE = "intake", _("Intake")
    NEW_INFORMATION = "new_information", _("New information")
    DETAILS_CHANGED = "details_changed", _("Details changed")
    MANUAL = "manual", _("Manual re-run")


class Outcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    SUGGESTED = "suggested", _("Suggested")
    KEPT = "kept", _("Kept")


def _local_minute(moment) -> str:
    """A stored time as the reader sees it: in the site's time zone, in the active language."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "Y-m-d H:i")


class TriageRun(models.Model):
    case_id = models.BigIntegerField(_("case id"), db_index=True)
    # The case's number as people know it, copied when the run is recorded (triage does not read
    # cases); runs recorded before this field existed have none.
    case_number = models.CharField(_("case number"), max_length=32, blank=True, db_index=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    ruleset_version = models.PositiveIntegerField(_("rule set version"))
    model_version = models.PositiveIntegerField(_("model version"), null=True, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    rule_level = models.CharField(_("level from rules"), max_length=10, choices=Level.choices)
    model_level = models.CharField(
        _("level from model"), max_length=10, choices=Level.choices, blank=True
    )
    model_probability = models.FloatField(_("model probability"), null=True, blank=True)
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    suggested_category = models.CharField(_("suggested category"), max_length=20, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=20,
        blank=True,
        choices=Outcome.choices,
        help_text=_("What happened to the case: applied, suggested, kept (lower or overridden)."),
    )
    duration_ms = models.FloatField(_("duration (ms)"))
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("triage run")
        verbose_name_plural = _("triage runs")
        indexes = [models.Index(fields=["case_id", "-created_at"], name="triagerun_case_time")]

    def __str__(self) -> str:
        return gettext("Case %(case)s: %(level)s (%(time)s)") % {
            "case": self.case_number or gettext("id %(id)s") % {"id": self.case_id},
            "level": self.get_level_display(),
            "time": _local_minute(self.created_at),
        }


class TriageModel(models.Model):
    """A trained classifier. The newest active one is used; training a new one replaces it."""

    created_at = models.DateTimeField(_("trained at"), db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    seed_rows = models.PositiveIntegerField(_("rows from the seed file"), default=0)
    case_rows = models.PositiveIntegerField(_("rows from settled cases"), default=0)
    label_counts = models.JSONField(_("rows per level"), default=dict)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    # How rules and model combine, tuned on the training split when the model was trained
    # (`raise_at`, `lower_at`); an empty dict: raise only, at the rule set's confidence.
    params = models.JSONField(_("combination"), default=dict, blank=True)
    # What it learned from and what it is: a retrain on the same data gives the same digest.
    corpus_digest = models.CharField(_("training data digest"), max_length=64, blank=True)
    # Chosen by a person (admin action): the scheduled retrain does not replace it.
    pinned = models.BooleanField(
        _("chosen by a person"),
        default=False,
        help_text=_("The scheduled retrain keeps a model a person chose."),
    )
    artifact_digest = models.CharField(_("model digest"), max_length=64, blank=True)
    blob = models.BinaryField(_("model"), editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("trained model")
        verbose_name_plural = _("trained models")

    def __str__(self) -> str:
        return f"v{self.pk} ({_local_minute(self.created_at)})"


class TriageFeedback(models.Model):
    """A handler's change of a case's risk level, kept as a labelled example for training.

    Triage does not read cases: the flow above it passes the text triage read (customer numbers
    masked), the levels and the reason. `text_hash` identifies the text without reading it.
    """

    case_id = models.BigIntegerField(_("case id"), db_index=True)
    case_number = models.CharField(_("case number"), max_length=32, blank=True)
    text = models.TextField(_("text"))
    text_hash = models.CharField(_("text hash"), max_length=64, db_index=True)
    old_level = models.CharField(_("old level"), max_length=10, choices=Level.choices)
    new_level = models.CharField(_("new level"), max_length=10, choices=Level.choices)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.CharField(_("changed by"), max_length=150, blank=True)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    category = models.CharField(_("category"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("risk feedback")
        verbose_name_plural = _("risk feedback")

    def __str__(self) -> str:
        return f"{self.case_number or self.case_id}: {self.old_level} → {self.new_level}"
