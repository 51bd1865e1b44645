"""Domain signals sent on commit, for the apps above orders (callbacks, membership).

Receivers only make things happen sooner: the higher apps also sweep for what they have not
handled yet (DESIGN.md principle 1), so a lost signal loses nothing.
"""
from django.dispatch import Signal

# sender=OrderStage, stage_id=int, kind=str
stage_completed = Signal()
# sender=Payment, payment_id=int
payment_recorded = Signal()
# sender=WalkOut, walkout_id=int: a walk-out was recorded (its follow-up calls are due)
walkout_recorded = Signal()
# sender=WalkOut, walkout_id=int, status=str: closed by hand (converted or lost)
walkout_closed = Signal()
