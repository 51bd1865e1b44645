"""Pages of 50 for every list; a page past the end shows the last one and says so."""
from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

PAGE_SIZE = 50
# Past this many rows a page is read as a "deferred join": the page's ids are found in the
# list's own table, skipping the rows before it there, and only its 50 rows are joined to
# the rest (one query still). Page 2,000 then costs an index walk, not 100,000 joined rows.
DEEP_OFFSET = 1000


class DeepPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = self.object_list
        if isinstance(rows, QuerySet) and bottom >= DEEP_OFFSET:
            rows = rows.filter(pk__in=rows.values("pk")[bottom:top])
        else:
            rows = rows[bottom:top]
        return self._get_page(rows, number, self)


def paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE):
    """A page of `queryset`; a page past the end shows the last one and says so."""
    paginator = DeepPaginator(queryset, per_page)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        messages.warning(request, _("页码无效，已显示第一页。"))
        return paginator.page(1)
    except EmptyPage:
        if paginator.num_pages > 1 or int(number) > 1:
            messages.warning(request, _("页码超出范围，已显示最后一页。"))
        return paginator.page(paginator.num_pages)
