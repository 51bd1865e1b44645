"""Member pages (会员维护): the member list, the member's page (cards, ledger, referrals and the
desk's actions), card issue, segments and referral cashback.

Every query starts from a scoped selector: what is out of the viewer's scope answers 404, what
their role may not do answers 403, bad input comes back as form errors.
"""
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customers.models import Customer
from customers.selectors import customers_search, customers_visible_to
from orders.models import Order, StageKind
from staff.models import Store
from staff.scoping import scope_for, store_asked, store_for, stores_to_pick
from studio.audit import audit_record
from studio.exports import XlsxColumn, export_list, xlsx_response
from studio.models import AuditAction
from studio.pagination import paginate
from studio.periods import PeriodForm
from studio.workflow import CREATE

from .exports import card_label, member_list_filtered
from .forms import SegmentForm
from .models import (
    CardEvent,
    CardStatus,
    CashbackStatus,
    MemberAccount,
    MemberTier,
    PointsKind,
    ReferralCashback,
    Segment,
)
from .selectors import (
    ledger_for_member,
    members_visible_to,
    points_entries_visible_to,
    segment_customers,
)
from .services import cashback_pay, segment_save
from .statistics import membership_statistics
from .workflow import MEMBER_STEPS

CARD_ACTIONS = {
    "issue": gettext_lazy("发卡"), "upgrade": gettext_lazy("升级"), "downgrade": gettext_lazy("降级"),
    "lost": gettext_lazy("挂失"),
    "reissue": gettext_lazy("补办"), "revoke": gettext_lazy("收回"), "expire": gettext_lazy("到期"),
}


def _reveal(request: HttpRequest) -> bool:
    return request.user.has_perm("customers.view_full_mobile")


def _query_without(request: HttpRequest, *keys: str) -> str:
    query = request.GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


@login_required
@permission_required("membership.view_memberaccount", raise_exception=True)
def member_list(request: HttpRequest) -> HttpResponse:
    """会员： members with tier, current card, points and spending; search, filters, Excel."""
    if request.GET.get("export") == "xlsx":
        return export_list(request, "members")
    form, members = member_list_filtered(request.user, request.GET)
    reveal = _reveal(request)
    page = paginate(request, members)
    rows = list(page.object_list)
    for member in rows:
        member.card_label = card_label(member.card_status)
    return render(request, "membership/member_list.html", {
        "form": form, "page": page, "rows": rows, "reveal": reveal,
        "query": _query_without(request, "page", "export"),
    })


# ---- the member's page --------------------------------------------------------------------

def _member(request: HttpRequest, pk: int) -> MemberAccount:
    return get_object_or_404(members_visible_to(request.user).select_related(
        "customer__store", "customer__assigned_to", "customer__referrer", "tier"), pk=pk)


# The page's actions are the step map's (membership.workflow) but issuing, which has its own
# page; these two act on the member's active card, the others on the account.
ON_CARD = {"lost", "revoke"}
ACTION_DONE = {
    "redeem": gettext_lazy("积分已兑换。"), "adjust": gettext_lazy("积分已调整。"),
    "lost": gettext_lazy("已挂失并补办新卡。"), "revoke": gettext_lazy("会员卡已收回。"),
}


def _action_forms() -> dict:
    # auto_id per form: two forms on the page both have a "points" field.
    return {f"{step.action}_form": step.form_class(auto_id=f"{step.action}_%s")
            for step in MEMBER_STEPS if not step.creates}


def _tier_progress(account: MemberAccount) -> dict:
    tiers = list(MemberTier.objects.order_by("rank"))
    following = next((t for t in tiers if t.rank > account.tier.rank), None)
    progress = {"tiers": tiers, "next": following}
    if following is not None:
        needed = max(following.threshold - account.total_spent, Decimal(0))
        percent = (100 if following.threshold <= 0
                   else min(100, int(account.total_spent * 100 / following.threshold)))
        progress.update(needed=needed, percent=max(percent, 0))
    return progress


def _referrals(request: HttpRequest, account: MemberAccount) -> dict:
    """The referral tree around the member: who referred them, whom they referred (within the
    viewer's scope) with those customers' orders, and what each order earned the member."""
    customer = account.customer
    visible = customers_visible_to(request.user)
    referrer = customer.referrer
    referrer_visible = referrer is not None and visible.filter(pk=referrer.pk).exists()
    referrer_member = (members_visible_to(request.user).filter(customer_id=referrer.pk)
                       .values_list("pk", flat=True).first() if referrer_visible else None)
    referred = list(visible.filter(referrer=customer).order_by("-created_at", "-pk")
                    .prefetch_related(Prefetch("orders", queryset=Order.objects.select_related(
                        "package", "referral_cashback").order_by("-created_at")))[:100])
    points = dict(account.entries.filter(kind=PointsKind.REFERRAL, order__isnull=False)
                  .values_list("order_id", "points"))
    for person in referred:
        for order in person.orders.all():
            order.referral_points = points.get(order.pk)
            cashback = getattr(order, "referral_cashback", None)
            order.cashback = cashback if cashback and cashback.referrer_id == customer.pk else None
    cashbacks = ReferralCashback.objects.filter(referrer=customer).aggregate(
        owed=Sum("amount", filter=Q(status=CashbackStatus.OWED)),
        paid=Sum("amount", filter=Q(status=CashbackStatus.PAID)))
    return {
        "referrer": referrer, "referrer_visible": referrer_visible,
        "referrer_member": referrer_member, "referred": referred,
        "referred_hidden": customer.referrals.count() - len(referred),
        "referral_points": sum(points.values()), "cashbacks": cashbacks,
    }


def _render_detail(request: HttpRequest, account: MemberAccount, forms: dict,
                   status: int = 200) -> HttpResponse:
    cards = list(account.cards.select_related("issued_by", "store", "replaces").prefetch_related(
        Prefetch("events", queryset=CardEvent.objects.select_related("by"))))
    for card in cards:
        for event in card.events.all():
            event.label = CARD_ACTIONS.get(event.action, event.action)
    page = paginate(request, ledger_for_member(account), per_page=20)
    active_card = next((c for c in cards if c.status == CardStatus.ACTIVE), None)
    # What the page offers: the step map's steps for the member's card (none held: CREATE).
    actions = {step.action: step for step in MEMBER_STEPS.available(
        state=active_card.status if active_card else CREATE, user=request.user)}
    return render(request, "membership/member_detail.html", {
        "account": account, "customer": account.customer, "cards": cards,
        "active_card": active_card, "actions": actions,
        "page": page, "now": timezone.now(),
        "reveal": _reveal(request), "progress": _tier_progress(account),
        **_referrals(request, account), **forms,
    }, status=status)


@login_required
@permission_required("membership.view_memberaccount", raise_exception=True)
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _member(request, pk)
    audit_record(request=request, action=AuditAction.VIEW_CUSTOMER, obj=account.customer,
                 detail={"member": account.pk})
    return _render_detail(request, account, _action_forms())


@login_required
@require_POST
def member_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """积分兑换 / 积分调整 / 挂失补办 / 收回, each through its service; the wrong role is 403
    (the step map), a refusal re-renders the page with the form's errors (400)."""
    if name not in MEMBER_STEPS or MEMBER_STEPS[name].creates:
        raise Http404  # issuing has its own page
    account = _member(request, pk)
    step = MEMBER_STEPS.check_permission(name, user=request.user)
    forms = _action_forms()
    form = forms[f"{name}_form"] = step.form_class(request.POST, auto_id=f"{name}_%s")
    if form.is_valid():
        target = {"account": account}
        if name in ON_CARD:
            card = account.cards.filter(status=CardStatus.ACTIVE).first()
            target = {"card": card}
            if card is None:
                form.add_error(None, _("该会员没有有效的会员卡。"))
        if not form.errors and form.save(**target, by=request.user):
            messages.success(request, ACTION_DONE[name])
            return redirect("membership:detail", pk=account.pk)
    return _render_detail(request, account, forms, status=400)


# ---- issuing a card -----------------------------------------------------------------------

@login_required
@permission_required(MEMBER_STEPS["issue"].permission, raise_exception=True)
def issue(request: HttpRequest) -> HttpResponse:
    """发放会员卡 to a customer in scope (?customer=); without one, find the customer first."""
    customer_id = request.GET.get("customer") or request.POST.get("customer") or ""
    if not customer_id:
        q = request.GET.get("q", "").strip()
        found = (customers_search(customers_visible_to(request.user), q)
                 .select_related("store").order_by("-created_at", "-pk")[:20] if q else [])
        return render(request, "membership/issue.html", {
            "q": q, "found": found, "reveal": _reveal(request)})
    if not customer_id.isdigit():
        raise Http404
    customer = get_object_or_404(customers_visible_to(request.user).select_related("store"),
                                 pk=customer_id)
    account = members_visible_to(request.user).filter(customer=customer).first()
    active = account.cards.filter(status=CardStatus.ACTIVE).first() if account else None
    form = MEMBER_STEPS["issue"].form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        card = form.save(customer=customer, by=request.user)
        if card:
            messages.success(request, _("已为 %(name)s 发放会员卡 %(number)s。") % {
                "name": customer, "number": card.number})
            return redirect("membership:detail", pk=card.account_id)
    return render(request, "membership/issue.html", {
        "customer": customer, "account": account, "active": active, "form": form,
        "reveal": _reveal(request)}, status=400 if form.errors else 200)


# ---- segments -----------------------------------------------------------------------------

def _segment_queryset(user, store: Store, conditions, now) -> QuerySet[Customer] | None:
    """The segment's customers, or None when stored conditions cannot be read."""
    try:
        return segment_customers(user, store_id=store.pk, conditions=dict(conditions), now=now)
    except (TypeError, ValueError, AttributeError, ValidationError):
        return None


def _segment_counts(user, store: Store, segments: list[Segment], now) -> dict[int, int | None]:
    """Every listed segment's live count in one query (a filtered COUNT per segment)."""
    counts: dict[int, int | None] = {}
    aggregates = {}
    for segment in segments:
        customers = _segment_queryset(user, store, segment.conditions or {}, now)
        if customers is None:
            counts[segment.pk] = None
        else:
            aggregates[f"s{segment.pk}"] = Count("pk", filter=Q(pk__in=customers.values("pk")))
    if aggregates:
        totals = customers_visible_to(user).filter(store_id=store.pk).aggregate(**aggregates)
        counts.update({int(key[1:]): value for key, value in totals.items()})
    return counts


def _describe(conditions: dict, tiers: dict[int, str]) -> list[str]:
    """The conditions in words, for the list."""
    c = conditions if isinstance(conditions, dict) else {}
    words = []
    if c.get("vip_only"):
        words.append(_("仅 VIP"))
    if c.get("tier"):
        words.append(_("等级：%(t)s") % {"t": tiers.get(_int(c["tier"]), c["tier"])})
    if c.get("min_spend"):
        words.append(_("累计消费 ≥ ¥%(v)s") % {"v": c["min_spend"]})
    if c.get("min_orders"):
        words.append(_("订单 ≥ %(v)s 个") % {"v": c["min_orders"]})
    if c.get("active_within_days"):
        words.append(_("近 %(v)s 天有订单") % {"v": c["active_within_days"]})
    if c.get("idle_days"):
        words.append(_("%(v)s 天无新订单") % {"v": c["idle_days"]})
    if c.get("stage"):
        label = StageKind(c["stage"]).label if c["stage"] in StageKind.values else c["stage"]
        words.append(_("当前阶段：%(v)s") % {"v": label})
    if c.get("wedding_month"):
        words.append(_("婚期 %(v)s 月") % {"v": c["wedding_month"]})
    if c.get("birthday_month"):
        words.append(_("宝宝生日 %(v)s 月") % {"v": c["birthday_month"]})
    return words or [_("全部客户")]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


SEGMENT_COLUMNS = [XlsxColumn(_c, w) for _c, w in [
    (gettext_lazy("姓名"), 12), (gettext_lazy("称呼"), 8), (gettext_lazy("手机号"), 14),
    (gettext_lazy("负责客服"), 12), (gettext_lazy("VIP"), 6), (gettext_lazy("会员等级"), 8),
    (gettext_lazy("婚期"), 12), (gettext_lazy("宝宝生日"), 12), (gettext_lazy("客户来源"), 12),
    (gettext_lazy("建档时间"), 18)]]


def _segment_export(request: HttpRequest, store: Store, segment: Segment, now) -> HttpResponse:
    if not request.user.has_perm("customers.export_customer"):
        raise PermissionDenied
    customers = _segment_queryset(request.user, store, segment.conditions or {}, now)
    if customers is None:
        messages.error(request, _("分组「%(name)s」的条件无法识别，请重新保存。") % {"name": segment})
        return redirect(f"{reverse('membership:segments')}?store={store.pk}")
    reveal = _reveal(request)

    def rows():
        for c in customers.select_related("assigned_to", "member_account__tier").iterator(
                chunk_size=2000):
            account = getattr(c, "member_account", None)
            yield [c.name, c.get_title_display(), c.mobile if reveal else c.masked_mobile,
                   c.assigned_to.display_name if c.assigned_to else "", c.is_vip,
                   account.tier.name if account else "", c.wedding_on, c.child_birthday_on,
                   c.get_source_display(), c.created_at]

    return xlsx_response(
        request=request, filename=f"客户分组-{segment.name}-{timezone.localdate():%Y%m%d}.xlsx",
        title=segment.name, columns=[XlsxColumn(str(c.header), c.width) for c in SEGMENT_COLUMNS],
        rows=rows(), store=store.name, lines=[_("客户分组：%(name)s") % {"name": segment.name}],
        audit_detail={"list": f"segment:{segment.pk}", "store": store.pk})


@login_required
@permission_required("membership.view_segment", raise_exception=True)
def segments(request: HttpRequest) -> HttpResponse:
    """客户分组 (L40 按一定条件分类): the store's saved segments with live counts, a form to
    create or update one with a preview count, Excel of a segment, and a callback campaign."""
    user, now = request.user, timezone.now()
    store = store_for(request.user, store_asked(request), writing=request.method == "POST",
                      one_store=True)
    store_segments = Segment.objects.filter(store=store)
    if request.GET.get("export"):
        segment = get_object_or_404(store_segments, pk=_int(request.GET["export"]) or 0)
        return _segment_export(request, store, segment, now)
    editing = None
    if request.GET.get("edit"):
        editing = get_object_or_404(store_segments, pk=_int(request.GET["edit"]) or 0)
    form = SegmentForm(request.POST or None, initial=SegmentForm.initial_from(
        editing.name, editing.conditions or {}) if editing else None)
    if editing:
        form.fields["name"].disabled = True  # saving updates this segment (segment_save: by name)
    preview = None
    if request.method == "POST":
        if not user.has_perm("membership.add_segment"):
            raise PermissionDenied
        if form.is_valid():
            conditions = form.conditions()
            if request.POST.get("action") == "save":
                name = form.cleaned_data["name"].strip()
                if (store_segments.filter(name=name).exists()
                        and not user.has_perm("membership.change_segment")):
                    raise PermissionDenied
                if form.call(segment_save, store=store, name=name, conditions=conditions, by=user):
                    messages.success(request, _("客户分组「%(name)s」已保存。") % {"name": name})
                    return redirect(f"{reverse('membership:segments')}?store={store.pk}")
            else:
                preview = segment_customers(user, store_id=store.pk, conditions=conditions,
                                            now=now).count()
    page = paginate(request, store_segments.select_related("created_by").order_by("name"))
    listed = list(page.object_list)
    counts = _segment_counts(user, store, listed, now)
    tiers = dict(MemberTier.objects.values_list("pk", "name"))
    return render(request, "membership/segments.html", {
        "store": store, "form": form, "editing": editing, "preview": preview, "page": page,
        "rows": [(s, counts.get(s.pk), _describe(s.conditions, tiers)) for s in listed],
        "query": _query_without(request, "page", "edit", "export"),
        "stores": stores_to_pick(user),
    }, status=400 if form.errors else 200)


# ---- referral cashback --------------------------------------------------------------------

def _cashbacks_visible_to(user) -> QuerySet[ReferralCashback]:
    return scope_for(user).apply(ReferralCashback.objects.all(), store_field="order__store_id",
                                 owner_field="referrer__assigned_to_id")


@login_required
@permission_required("membership.view_referralcashback", raise_exception=True)
def cashbacks(request: HttpRequest) -> HttpResponse:
    """转介绍返现： what is owed to referrers and what was paid, with the 已支付 action."""
    status = request.GET.get("status", CashbackStatus.OWED)
    if status not in (*CashbackStatus.values, "all"):
        status = CashbackStatus.OWED
    visible = _cashbacks_visible_to(request.user)
    totals = visible.aggregate(
        owed=Sum("amount", filter=Q(status=CashbackStatus.OWED)),
        owed_count=Count("pk", filter=Q(status=CashbackStatus.OWED)),
        paid=Sum("amount", filter=Q(status=CashbackStatus.PAID)),
        paid_count=Count("pk", filter=Q(status=CashbackStatus.PAID)))
    rows = visible.select_related("referrer", "order__customer", "order__package", "paid_by")
    if status != "all":
        rows = rows.filter(status=status)
    return render(request, "membership/cashbacks.html", {
        "page": paginate(request, rows.order_by("-created_at", "-pk")), "status": status,
        "statuses": [*CashbackStatus.choices, ("all", _("全部"))], "totals": totals,
        "reveal": _reveal(request), "query": _query_without(request, "page"),
    })


@login_required
@require_POST
@permission_required("membership.change_referralcashback", raise_exception=True)
def cashback_paid(request: HttpRequest, pk: int) -> HttpResponse:
    cashback = get_object_or_404(_cashbacks_visible_to(request.user), pk=pk)
    try:
        cashback_pay(cashback=cashback, by=request.user)
        messages.success(request, _("已登记支付返现 ¥%(amount)s 给 %(name)s。") % {
            "amount": cashback.amount, "name": cashback.referrer})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = reverse("membership:cashbacks")
    return redirect(next_url)


@login_required
@permission_required("membership.view_membership_statistics", raise_exception=True)
def statistics(request: HttpRequest) -> HttpResponse:
    """Points earned, redeemed, expired and outstanding for a period; members by tier;
    referral rewards (SPEC §4)."""
    period = PeriodForm(request.GET)
    start, end = period.period()  # a bad date: the month so far, the form says why (400)
    store = store_for(request.user, store_asked(request), writing=request.method == "POST",
                      one_store=True)
    return render(request, "membership/statistics.html", {
        "stats": membership_statistics(
            accounts=members_visible_to(request.user).filter(store=store),
            entries=points_entries_visible_to(request.user).filter(store=store),
            start=start, end=end),
        "start": start, "end": end, "store": store, "active": "statistics",
        "stores": stores_to_pick(request.user), "period_form": period},
        status=400 if period.errors else 200)
