from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Organisation")


class LoginProtectionConfig(AxesAppConfig):
    """django-axes under a name the desk reads (its own app label has no translation)."""

    verbose_name = _("Login protection")
