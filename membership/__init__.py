"""Membership （会员维护）: VIP cards, the points ledger, referrals and customer segments."""
