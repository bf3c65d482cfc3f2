from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from core.models import Store


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
class DeskUserAdmin(UserAdmin):
    inlines = [StoreMembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "roles", "is_active"]
    list_filter = ["groups", "is_active", "is_staff"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, user):
        return ", ".join(sorted(g.name for g in user.groups.all()))


admin.site.site_header = _("Escalated-complaint desk")
admin.site.site_title = _("Escalated-complaint desk")
admin.site.index_title = _("The desk")
