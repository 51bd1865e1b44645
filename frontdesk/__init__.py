"""The front desk's day (seed L180-L188): schedule and resources, flow cards, rework,
production chasing and walk-outs. Models live in orders/models.py; each part here has its
services and selectors, its views and its URLs."""
