"""Pages of 50 for every list; a page past the end shows the last one and says so."""
from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _

PAGE_SIZE = 50


def paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE):
    """A page of `queryset`; a page past the end shows the last one and says so."""
    paginator = Paginator(queryset, per_page)
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
