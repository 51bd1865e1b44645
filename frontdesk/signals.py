"""Domain signals of the front desk, sent on commit, for the apps above it (callbacks).

Receivers only make things happen sooner: callbacks also sweeps for walk-outs whose calls it has
not planned yet (DESIGN.md principle 1), so a lost signal loses nothing.
"""
from django.dispatch import Signal

# sender=WalkOut, walkout_id=int: a walk-out was recorded (its follow-up calls are due)
walkout_recorded = Signal()
# sender=WalkOut, walkout_id=int, status=str: closed by hand (converted or lost)
walkout_closed = Signal()
