"""Thin tasks: beat expires points and cards, catches up on members' payments and reconciles
the ledgers every night."""
from celery import shared_task
from django.utils import timezone

from .reconcile import reconcile_ledgers
from .services import member_cards_expire, membership_sweep_payments, points_expire


@shared_task
def expire_points_task() -> int:
    return points_expire(now=timezone.now())


@shared_task
def expire_member_cards_task() -> int:
    return member_cards_expire(today=timezone.localdate())


@shared_task
def sweep_member_payments_task() -> int:
    return membership_sweep_payments(now=timezone.now())


@shared_task
def reconcile_ledgers_task() -> int:
    """Beat, nightly: balances against their ledgers; differences are logged and recorded."""
    return len(reconcile_ledgers(now=timezone.now()))
