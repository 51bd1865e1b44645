from django.contrib import admin

from staff.admin import ScopedAdminMixin
from studio.admin import AppendOnlyAdminMixin, ReadOnlyInline

from .models import (
    Complaint,
    ComplaintEvent,
    ComplaintPenalty,
    ComplaintPolicy,
    ComplaintSolution,
    ImprovementMeasure,
)


class SolutionInline(AppendOnlyAdminMixin, ReadOnlyInline):
    model = ComplaintSolution
    fields = ["kind", "description", "cost", "proposed_by", "proposed_at", "is_approved"]


class PenaltyInline(SolutionInline):
    model = ComplaintPenalty
    fields = ["staff", "is_department_head", "amount", "description", "recorded_by",
              "recorded_at"]
    readonly_fields = fields


class EventInline(SolutionInline):
    model = ComplaintEvent
    fields = ["at", "action", "before", "after", "by", "note"]
    readonly_fields = fields


@admin.register(Complaint)
class ComplaintAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-mostly: the steps are taken on the complaint's page, which checks each rule."""

    scope_owner_field = "customer__assigned_to_id"
    list_display = ["reference", "received_at", "customer", "store", "category", "status",
                    "escalation_level", "step_due_at"]
    list_filter = ["status", "category", "channel", "severity", "store", "escalation_level"]
    search_fields = ["reference", "customer__name", "=customer__mobile", "content"]
    list_select_related = ["customer", "store"]
    date_hierarchy = "received_at"
    inlines = [SolutionInline, PenaltyInline, EventInline]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(ComplaintPolicy)
class ComplaintPolicyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "judge_hours", "investigate_hours", "propose_hours", "approve_hours",
                    "implement_hours"]
    list_select_related = ["store"]


@admin.register(ImprovementMeasure)
class ImprovementMeasureAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "month", "written_by", "written_at"]
    list_filter = ["store"]
    list_select_related = ["store", "written_by"]
