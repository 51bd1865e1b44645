"""Domain signals of customers, for the apps above (orders keeps a copy of the specialist)."""
from django.dispatch import Signal

# sender=Customer, customer_ids=list[int]: these customers' specialist changed (inside the
# transaction that changed it, so that a receiver's copies change with it or not at all).
customers_reassigned = Signal()
