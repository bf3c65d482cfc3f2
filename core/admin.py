from django.contrib import admin

from core.models import Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "region", "is_active"]
    list_filter = ["region", "city", "is_active"]
    search_fields = ["code", "name", "city"]
    filter_horizontal = ["staff"]
