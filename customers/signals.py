"""Domain signals of customers, for the apps above (orders keeps a copy of the specialist)."""
from django.dispatch import Signal

# sender=Customer, customer_ids=list[int]: these customers' specialist changed (inside the
# transaction that changed it, so that a receiver's copies change with it or not at all).
# A receiver may answer {customer id: what it moved, e.g. "2 个待回访"}: the reassignment's
# history row (CustomerAssignment.reason) says it (customers.services.customers_reassigned_notify).
customers_reassigned = Signal()

# sender=Customer, kept=Customer, merged=Customer: two records of one person are being merged
# (customers.services.customers_merge), inside its transaction and before it moves every foreign
# key to the kept record with one UPDATE per relation. A receiver moves what it owns that cannot
# simply change its customer (a one-to-one, balances to add up); what it leaves pointing at the
# merged record is moved generically, except a one-to-one, which makes the merge fail.
customers_merging = Signal()
