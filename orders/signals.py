"""Domain signals for the apps above orders (front desk, membership, callbacks).

Receivers only make things happen sooner: the higher apps also sweep for what they have not
handled yet (DESIGN.md principle 1), so a lost signal loses nothing.
"""
from django.dispatch import Signal

# sender=OrderStage, stage_id=int, kind=str
stage_completed = Signal()
# sender=Payment, payment_id=int
payment_recorded = Signal()
# sender=OrderStage, stage=OrderStage, by=User, confirmed=bool: sent inside the completing
# transaction, so that a receiver's writes (the front desk closes the stage's booking) commit or
# roll back with it, and its refusal (a booking that needs `confirmed`) rolls the completion back
stage_completing = Signal()
# sender=Order, order=Order, by=User|None, reason=str: sent inside the cancelling transaction
# (orders.services.order_cancel), so that what the higher apps undo — open callbacks closed,
# bookings freed, points taken back — commits or rolls back with the cancellation
order_cancelling = Signal()
