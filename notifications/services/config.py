"""Config as code: channels and routes from a YAML/JSON document, loaded idempotently.

The file is the source of truth for what it names: loading it makes those rows equal to the file
and touches nothing when they already are (loading twice changes nothing). Secrets come from the
environment (`secret_env`, `url_env`) or inline; they are stored, never printed.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.models import Store
from core.roles import ALL_ROLES
from notifications.alerts import AlertKind
from notifications.models import Channel, ChannelKind, Route

RISK_LEVELS = ("red", "yellow", "blue")
CHANNEL_KEYS = {
    "name",
    "kind",
    "url",
    "url_env",
    "secret",
    "secret_env",
    "keyword",
    "to",
    "markdown",
    "language",
    "rate_limit_per_minute",
    "rate_limit_per_second",
    "active",
}
ROUTE_KEYS = {
    "name",
    "kinds",
    "risk_levels",
    "stores",
    "regions",
    "levels",
    "channels",
    "roles",
    "users",
    "active",
}


@dataclass
class ConfigSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


class _Errors:
    def __init__(self):
        self.fields: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, message)


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _strings(value, path: str, errors: _Errors) -> list[str]:
    items = _as_list(value)
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in items):
        errors.add(path, _("Give a list of names."))
        return []
    return [str(v).strip() for v in items if str(v).strip()]


def _bool(value, default: bool, path: str, errors: _Errors) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        errors.add(path, _("Give true or false."))
        return default
    return value


# PositiveIntegerField's range on PostgreSQL (SQLite would store more, PostgreSQL would crash).
LIMIT_MAX = 2_147_483_647


def _limit(value, path: str, errors: _Errors) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LIMIT_MAX:
        errors.add(path, _("Give a whole number from 0 to %(max)d.") % {"max": LIMIT_MAX})
        return None
    return value


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _text(spec: dict, key: str, path: str, errors: _Errors, *, max_length: int) -> str:
    """An optional text value of at most `max_length` characters ("" when absent or wrong)."""
    value = spec.get(key)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # YAML reads `secret: 123456` as a number
    if not isinstance(value, str):
        errors.add(f"{path}.{key}", _("Give a text value."))
        return ""
    if len(value) > max_length:
        errors.add(
            f"{path}.{key}",
            _("At most %(max)d characters (it has %(length)d).")
            % {"max": max_length, "length": len(value)},
        )
        return ""
    return value


def _from_env(
    spec: dict, key: str, path: str, environ: Mapping[str, str], errors: _Errors
) -> str | None:
    """The value of the environment variable named by `spec[key]`; None when not asked for."""
    variable = spec.get(key)
    if variable is None or variable == "":
        return None
    if not isinstance(variable, str):
        errors.add(f"{path}.{key}", _("Give the name of an environment variable."))
        return ""
    value = environ.get(variable, "")
    if not value:
        errors.add(
            f"{path}.{key}",
            _("The environment variable %(name)s is not set.") % {"name": variable},
        )
    return value


def _channel_fields(spec, i: int, environ: Mapping[str, str], errors: _Errors) -> dict | None:
    path = f"channels[{i}]"
    if not isinstance(spec, dict):
        errors.add(path, _("Each channel is a mapping with at least name and kind."))
        return None
    for key in sorted(set(spec) - CHANNEL_KEYS, key=str):
        errors.add(f"{path}.{key}", _("Unknown key."))
    name = spec.get("name")
    if not isinstance(name, str) or not name or slugify(name) != name:
        errors.add(f"{path}.name", _("Give a name of lowercase letters, digits, - and _."))
        name = None
    elif len(name) > _max_length(Channel, "name"):
        errors.add(
            f"{path}.name",
            _("At most %(max)d characters.") % {"max": _max_length(Channel, "name")},
        )
        name = None
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in ChannelKind.values:
        errors.add(
            f"{path}.kind",
            _("Unknown kind; choose one of: %(kinds)s.") % {"kinds": ", ".join(ChannelKind.values)},
        )
        kind = None
    url = _text(spec, "url", path, errors, max_length=_max_length(Channel, "url"))
    from_env = _from_env(spec, "url_env", path, environ, errors)
    if from_env is not None:
        url = from_env
        if len(url) > _max_length(Channel, "url"):
            errors.add(
                f"{path}.url_env",
                _("At most %(max)d characters.") % {"max": _max_length(Channel, "url")},
            )
    secret = _text(spec, "secret", path, errors, max_length=_max_length(Channel, "secret"))
    from_env = _from_env(spec, "secret_env", path, environ, errors)
    if from_env is not None:
        secret = from_env
        if len(secret) > _max_length(Channel, "secret"):
            errors.add(
                f"{path}.secret_env",
                _("At most %(max)d characters.") % {"max": _max_length(Channel, "secret")},
            )
    keyword = _text(spec, "keyword", path, errors, max_length=_max_length(Channel, "keyword"))
    recipients = _strings(spec.get("to"), f"{path}.to", errors)
    if kind == ChannelKind.EMAIL:
        if not recipients:
            errors.add(f"{path}.to", _("An email channel needs at least one address."))
        for address in recipients:
            try:
                validate_email(address)
            except ValidationError:
                errors.add(f"{path}.to", _("Not an email address: %(value)s") % {"value": address})
    elif kind is not None:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            # never echo the URL: it holds the robot's token
            errors.add(f"{path}.url", _("Give the full http(s) webhook URL."))
    language = spec.get("language") or ""
    if language not in ("", "zh-hans", "en"):
        errors.add(f"{path}.language", _("Choose zh-hans or en."))
        language = ""
    if name is None:
        return None
    return {
        "name": name,
        "kind": kind,
        "url": url if kind != ChannelKind.EMAIL else "",
        "secret": secret,
        "keyword": keyword,
        "recipients": recipients,
        "use_markdown": _bool(spec.get("markdown"), True, f"{path}.markdown", errors),
        "language": language,
        "rate_limit_per_minute": _limit(
            spec.get("rate_limit_per_minute"), f"{path}.rate_limit_per_minute", errors
        ),
        "rate_limit_per_second": _limit(
            spec.get("rate_limit_per_second"), f"{path}.rate_limit_per_second", errors
        ),
        "is_active": _bool(spec.get("active"), True, f"{path}.active", errors),
        "managed_by_config": True,
    }


def _route_fields(spec, i: int, channel_names: set[str], errors: _Errors) -> dict | None:
    path = f"routes[{i}]"
    if not isinstance(spec, dict):
        errors.add(path, _("Each route is a mapping with at least kinds."))
        return None
    for key in sorted(set(spec) - ROUTE_KEYS, key=str):
        errors.add(f"{path}.{key}", _("Unknown key."))
    name = spec.get("name") or f"route-{i + 1}"
    if not isinstance(name, str):
        errors.add(f"{path}.name", _("Give a text name."))
        name = None
    elif len(name) > _max_length(Route, "name"):
        errors.add(
            f"{path}.name",
            _("At most %(max)d characters.") % {"max": _max_length(Route, "name")},
        )
        name = None
    kinds = _strings(spec.get("kinds"), f"{path}.kinds", errors)
    if not kinds:
        errors.add(f"{path}.kinds", _("Give at least one alert kind."))
    for kind in set(kinds) - set(AlertKind.values):
        errors.add(f"{path}.kinds", _("Unknown alert kind: %(value)s") % {"value": kind})
    risk_levels = _strings(spec.get("risk_levels"), f"{path}.risk_levels", errors)
    for level in set(risk_levels) - set(RISK_LEVELS):
        errors.add(f"{path}.risk_levels", _("Unknown risk level: %(value)s") % {"value": level})
    levels = _as_list(spec.get("levels"))
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in levels):
        errors.add(f"{path}.levels", _("Give escalation levels as whole numbers."))
        levels = []
    channels = _strings(spec.get("channels"), f"{path}.channels", errors)
    for missing in sorted(set(channels) - channel_names):
        errors.add(
            f"{path}.channels",
            _("No channel named %(name)s (in this file or saved).") % {"name": missing},
        )
    roles = _strings(spec.get("roles"), f"{path}.roles", errors)
    for role in set(roles) - set(ALL_ROLES):
        errors.add(
            f"{path}.roles",
            _("Unknown role %(value)s; choose from: %(roles)s.")
            % {"value": role, "roles": ", ".join(ALL_ROLES)},
        )
    users = _strings(spec.get("users"), f"{path}.users", errors)
    if not channels and not roles and not users:
        errors.add(path, _("A route needs channels, roles or users to send to."))
    stores = sorted(set(_strings(spec.get("stores"), f"{path}.stores", errors)))
    known_stores = set(Store.objects.filter(code__in=stores).values_list("code", flat=True))
    unknown_stores = [code for code in stores if code not in known_stores]
    if unknown_stores:
        # like the admin form: a typo would silently make the route match nothing
        errors.add(
            f"{path}.stores",
            _("Unknown store codes: %(codes)s") % {"codes": ", ".join(unknown_stores)},
        )
    if name is None:
        return None
    return {
        "name": name,
        "kinds": sorted(set(kinds)),
        "risk_levels": sorted(set(risk_levels)),
        "store_codes": stores,
        "regions": sorted(set(_strings(spec.get("regions"), f"{path}.regions", errors))),
        "escalation_levels": sorted(set(levels)),
        "roles": sorted(set(roles)),
        "usernames": sorted(set(users)),
        "is_active": _bool(spec.get("active"), True, f"{path}.active", errors),
        "managed_by_config": True,
        "channels": sorted(set(channels)),
    }


def _channel_label(name: str) -> str:
    return _("channel %(name)s") % {"name": name}


def _route_label(name: str) -> str:
    return _("route %(name)s") % {"name": name}


def _upsert(model, fields: dict, summary: ConfigSummary, label: str):
    """Create, update only the fields that differ, or leave alone: a second load writes nothing."""
    obj = model.objects.filter(name=fields["name"]).first()
    if obj is None:
        obj = model.objects.create(**fields)
        summary.created.append(label)
        return obj, True
    changed = [name for name, value in fields.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, fields[name])
        obj.save(update_fields=[*changed, "updated_at"])
        summary.updated.append(label)
        return obj, True
    return obj, False


@transaction.atomic
def alert_config_load(*, data, environ: Mapping[str, str], prune: bool = False) -> ConfigSummary:
    """Load channels and routes; all or nothing. Bad input raises InvalidInput with field paths."""
    if not isinstance(data, dict):
        raise InvalidInput(_("The file must hold a mapping with `channels` and/or `routes`."))
    errors = _Errors()
    for key in sorted(set(data) - {"channels", "routes"}, key=str):
        errors.add(str(key), _("Unknown key."))
    channel_specs = _as_list(data.get("channels"))
    route_specs = _as_list(data.get("routes"))
    channels = [_channel_fields(s, i, environ, errors) for i, s in enumerate(channel_specs)]
    names = [c["name"] for c in channels if c]
    for name in {n for n in names if names.count(n) > 1}:
        errors.add("channels", _("Channel %(name)s appears twice.") % {"name": name})
    known = set(names) | set(Channel.objects.values_list("name", flat=True))
    routes = [_route_fields(s, i, known, errors) for i, s in enumerate(route_specs)]
    route_names = [r["name"] for r in routes if r]
    for name in {n for n in route_names if route_names.count(n) > 1}:
        errors.add("routes", _("Route %(name)s appears twice.") % {"name": name})
    if errors.fields:
        raise InvalidInput(_("The alert configuration has errors."), fields=errors.fields)

    summary = ConfigSummary()
    for fields in channels:
        _upsert(Channel, fields, summary, _channel_label(fields["name"]))
    by_name = {c.name: c for c in Channel.objects.filter(name__in=known)}
    for fields in routes:
        channel_names = fields.pop("channels")
        label = _route_label(fields["name"])
        route, touched = _upsert(Route, fields, summary, label)
        current = set(route.channels.values_list("name", flat=True))
        if current != set(channel_names):
            route.channels.set([by_name[n] for n in channel_names])
            if not touched:
                summary.updated.append(label)
        unknown_users = set(fields["usernames"]) - set(
            get_user_model()
            .objects.filter(username__in=fields["usernames"])
            .values_list("username", flat=True)
        )
        for username in sorted(unknown_users):
            summary.warnings.append(
                _("%(route)s: no user named %(name)s yet.") % {"route": label, "name": username}
            )
    touched = set(summary.created + summary.updated)
    every = [_channel_label(c["name"]) for c in channels] + [
        _route_label(r["name"]) for r in routes
    ]
    summary.unchanged = [label for label in every if label not in touched]
    if prune:
        for model, kept, label in (
            (Route, route_names, _route_label),
            (Channel, names, _channel_label),
        ):
            stale = model.objects.filter(managed_by_config=True).exclude(name__in=kept)
            summary.deleted += [label(n) for n in stale.values_list("name", flat=True)]
            stale.delete()
    return summary
