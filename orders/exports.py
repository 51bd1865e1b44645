"""The stage lists' Excel exports (studio.exports): the same filters and columns as the page."""
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.utils import timezone

from studio.exports import ListExport, register_export

from .filters import StageFilter
from .models import StageKind
from .selectors import stages_list_for_stage_list
from .tables import STAGE_COLUMNS, RowContext, xlsx_columns


def stage_list_filtered(user, kind: str, params: QueryDict):
    """(filterset, stages): one stage's list for `user` under the list's GET filters."""
    queryset = stages_list_for_stage_list(user, kind)
    # django-filter only asks the request for its user (the staff choices in scope).
    stage_filter = StageFilter(params, queryset=queryset, kind=kind,
                               request=SimpleNamespace(user=user))
    return stage_filter, (stage_filter.qs if stage_filter.is_valid() else queryset.none())


def _stage_list_exporter(kind: str):
    def export(user, params: QueryDict) -> ListExport:
        if not user.has_perm("customers.export_customer"):
            raise PermissionDenied
        _filter, stages = stage_list_filtered(user, kind, params)
        ctx = RowContext(now=timezone.now(), reveal_mobile=user.has_perm("customers.view_full_mobile"))
        columns = STAGE_COLUMNS[kind]
        label = StageKind(kind).label
        return ListExport(
            filename=f"{label}客户-{timezone.localdate():%Y%m%d}.xlsx", title=str(label),
            columns=xlsx_columns(kind), queryset=stages,
            row=lambda stage: [column.value(stage, ctx) for column in columns],
            detail={"list": f"stage:{kind}"})

    return export


for _kind in StageKind.values:
    register_export(f"stage_list:{_kind}")(_stage_list_exporter(_kind))
