from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import Store
from core.roles import ROLE_LABELS

# Django stores every permission's name in English ("Can add case"); the desk shows them in the
# reader's language: the four default actions with the model's translated name, our own
# permissions through their msgid (their names are marked for translation in the models).
DEFAULT_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    content_type = permission.content_type
    model = content_type.model_class()
    app = apps.get_app_config(content_type.app_label).verbose_name if model else ""
    model_name = model._meta.verbose_name if model else content_type.model
    action, _sep, rest = permission.codename.partition("_")
    if action in DEFAULT_ACTIONS and rest == content_type.model:
        text = DEFAULT_ACTIONS[action] % {"model": model_name}
    else:
        text = gettext(permission.name)
    return f"{app} | {model_name} | {text}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class TranslatedPermissionsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionChoiceField
            kwargs["queryset"] = Permission.objects.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "region", "is_active"]
    list_filter = ["region", "city", "is_active"]
    search_fields = ["code", "name", "city"]
    filter_horizontal = ["staff"]


class StoreMembershipInline(admin.TabularInline):
    """A store-staff user's stores, set on the user's own page."""

    model = Store.staff.through
    extra = 1
    autocomplete_fields = ["store"]
    verbose_name = _("store")
    verbose_name_plural = _("stores (for store staff)")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class DeskUserAdmin(TranslatedPermissionsMixin, UserAdmin):
    inlines = [StoreMembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "roles", "is_active"]
    list_filter = ["groups", "is_active", "is_staff"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, user):
        return ", ".join(sorted(str(ROLE_LABELS.get(g.name, g.name)) for g in user.groups.all()))


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(TranslatedPermissionsMixin, GroupAdmin):
    """Roles are groups; shown with their label beside the code."""

    list_display = ["name", "label"]

    @admin.display(description=_("role"))
    def label(self, group):
        return ROLE_LABELS.get(group.name, "")


admin.site.site_header = _("Escalated-complaint desk")
admin.site.site_title = _("Escalated-complaint desk")
admin.site.index_title = _("The desk")
