"""A plain ``ModelAdmin`` for switches; the switch panel lives in its own views."""

from django.contrib import admin

from gargoyle.models import Switch


@admin.register(Switch)
class SwitchAdmin(admin.ModelAdmin):
    list_display = ("key", "label", "status", "date_modified")
    list_filter = ("status",)
    search_fields = ("key", "label", "description")
    readonly_fields = ("date_created", "date_modified")
