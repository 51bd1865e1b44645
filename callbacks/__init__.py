"""Callbacks （电话回访）: tasks after each service, scripts, records and the summary report."""
