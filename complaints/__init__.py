"""Complaints （投诉处理）: the closed loop from registration to the supervisor's statistics."""
