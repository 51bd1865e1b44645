"""Membership's part of merging two customer records (customers.signals.customers_merging).

A member account is one-to-one with its customer, so the generic move of customers_merge cannot
carry it: here, inside the merge's transaction, the merged record's account goes to the kept
customer, or, when both are members, its cards and points entries join the kept account and the
balances add up (the ledger's sum stays equal to the balance: membership.reconcile).
"""
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer

from .models import CardStatus, MemberAccount, MemberCard, PointsEntry
from .services import _event, _retier, _sync_vip


def on_customers_merging(sender, *, kept: Customer, merged: Customer, **kwargs) -> None:
    """Move the merged customer's membership to the kept customer (see the module)."""
    accounts = {account.customer_id: account for account in MemberAccount.objects
                .select_for_update().select_related("tier")
                .filter(customer_id__in=[kept.pk, merged.pk]).order_by("pk")}
    gone, staying = accounts.get(merged.pk), accounts.get(kept.pk)
    if gone is None:
        return
    if staying is None:
        MemberAccount.objects.filter(pk=gone.pk).update(customer=kept)
    else:
        _join(staying, gone, kept=kept)
    _sync_vip(kept.pk)
    _sync_vip(merged.pk)


def _join(staying: MemberAccount, gone: MemberAccount, *, kept: Customer) -> None:
    """Both are members: one account holds both. One active card per member stays the rule:
    the kept customer's card stays, the merged one's active card is revoked (its history kept)."""
    at = timezone.now()
    if MemberCard.objects.filter(account=staying, status=CardStatus.ACTIVE).exists():
        for card in MemberCard.objects.select_for_update().filter(account=gone,
                                                                  status=CardStatus.ACTIVE):
            card.end(status=CardStatus.REVOKED, at=at,
                     reason=_("合并客户：并入 %(name)s 的会员账户") % {"name": kept.name})
            card.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
            _event(card, "revoke", None, at, note=card.end_reason)
    MemberCard.objects.filter(account=gone).update(account=staying)
    PointsEntry.objects.filter(account=gone).update(account=staying)
    tier = gone.tier if gone.tier.rank > staying.tier.rank else staying.tier
    MemberAccount.objects.filter(pk=staying.pk).update(
        points_balance=F("points_balance") + gone.points_balance,
        total_spent=F("total_spent") + gone.total_spent, tier=tier)
    gone.delete()
    _retier(staying, at)
