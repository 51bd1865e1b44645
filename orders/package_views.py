"""套系管理: the packages sold in the viewer's store(s), and the store's sales settings.

Everyone with orders.view_package reads the list; a store manager adds and changes their store's
packages and rules, the general manager every store's and the chain's (orders.packages decides).
A package is never deleted: 停售 and 恢复在售.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from staff.scoping import scope_for, store_for, stores_to_pick
from studio.pagination import paginate

from .package_forms import PackageForm, StoreSettingsForm
from .packages import package_may_change, package_save, packages_list_for_packages_page
from .selectors import packages_visible_to


def _list_url(store_id: int | None) -> str:
    return reverse("orders:packages") + (f"?store={store_id}" if store_id else "")


def _packages_page(request: HttpRequest, *, settings_form: StoreSettingsForm | None = None,
                   status: int = 200) -> HttpResponse:
    user = request.user
    store = store_for(user, request.GET.get("store"), writing=False)
    page = paginate(request, packages_list_for_packages_page(store=store))
    may_settle = user.has_perm("orders.change_package") and scope_for(user).owner_id is None
    if settings_form is None and may_settle:
        shown = store or store_for(user, None, writing=False, one_store=True)
        settings_form = StoreSettingsForm(user=user, store=shown)
    return render(request, "orders/packages.html", {
        "store": store, "stores": stores_to_pick(user), "page": page,
        "query": f"store={store.pk}" if store and scope_for(user).all_stores else "",
        "rows": [(p, package_may_change(user, p)) for p in page.object_list],
        "may_add": package_may_change(user, None, store=store),
        "settings_form": settings_form if may_settle else None,
    }, status=status)


@login_required
@permission_required("orders.view_package", raise_exception=True)
def packages(request: HttpRequest) -> HttpResponse:
    """The price list: each package's kind, price, what it includes, its stages, whether it is
    sold, and how many orders have it."""
    return _packages_page(request)


@login_required
@require_POST
@permission_required("orders.change_package", raise_exception=True)
def store_settings(request: HttpRequest) -> HttpResponse:
    """门店销售设置: the discount limit, auto-assignment and the documents' terms."""
    form = StoreSettingsForm(request.POST, user=request.user)
    if form.is_valid() and (store := form.save_settings()) is not None:
        messages.success(request, _("%(store)s 的销售设置已保存。") % {"store": store.name})
        return redirect(_list_url(store.pk if scope_for(request.user).all_stores else None))
    return _packages_page(request, settings_form=form, status=400)


@login_required
@permission_required("orders.add_package", raise_exception=True)
def package_new(request: HttpRequest) -> HttpResponse:
    store = store_for(request.user, request.GET.get("store"), writing=False)
    if not package_may_change(request.user, None, store=store):
        raise PermissionDenied  # a store manager's packages are their own store's
    form = PackageForm(request.POST if request.method == "POST" else None, user=request.user,
                       store=store)
    if request.method == "POST" and form.is_valid() and (package := form.save_package()):
        messages.success(request, _("已添加套系“%(name)s”。") % {"name": package.name})
        return redirect(_list_url(package.store_id))
    return render(request, "orders/packages_edit.html", {"form": form, "package": None},
                  status=400 if form.errors else 200)


@login_required
@permission_required("orders.change_package", raise_exception=True)
def package_edit(request: HttpRequest, pk: int) -> HttpResponse:
    package = get_object_or_404(packages_visible_to(request.user).select_related("store"), pk=pk)
    if not package_may_change(request.user, package):
        raise PermissionDenied  # a store manager and a chain package: the general manager's
    form = PackageForm(request.POST if request.method == "POST" else None, user=request.user,
                       package=package)
    if request.method == "POST" and form.is_valid() and form.save_package() is not None:
        messages.success(request, _("套系“%(name)s”已保存。") % {"name": form.cleaned_data["name"]})
        return redirect(_list_url(package.store_id))
    return render(request, "orders/packages_edit.html", {"form": form, "package": package},
                  status=400 if form.errors else 200)


@login_required
@require_POST
@permission_required("orders.change_package", raise_exception=True)
def package_active(request: HttpRequest, pk: int) -> HttpResponse:
    """停售 (active=0) or 恢复在售 (active=1); its orders keep it either way."""
    package = get_object_or_404(packages_visible_to(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    package_save(package=package, by=request.user, is_active=active)
    messages.success(request, (_("“%(name)s”已恢复在售。") if active else
                               _("“%(name)s”已停售，已有订单不受影响。")) % {"name": package.name})
    return redirect(_list_url(package.store_id))
