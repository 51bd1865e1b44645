"""The benchmark harness cannot rot: a tiny data set through generate_bench_data (bulk_create
here, COPY on PostgreSQL), its invariants, and one run of each kind of measurement."""
import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from bench import run
from callbacks.models import CallbackTask
from complaints.models import Complaint
from membership.models import MemberAccount, PointsEntry
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_data():
    call_command("generate_bench_data", customers=60, stores=2, batch_size=30, verbosity=0)


def test_data_set_is_consistent(bench_data):
    assert Order.objects.exists()
    assert CallbackTask.objects.count() == pytest.approx(60 * 5, abs=10)
    assert Complaint.objects.exists() or Order.objects.count() < 30
    for account in MemberAccount.objects.annotate(total=Sum("entries__points"), n=Count("entries")):
        assert account.points_balance == (account.total or 0)
        last = PointsEntry.objects.filter(account=account).order_by("-at", "-pk").first()
        if last is not None:
            assert last.balance_after == account.points_balance
    # The keys the services use: one entry per payment at most.
    keys = list(PointsEntry.objects.filter(payment__isnull=False).values_list("key", "payment_id"))
    assert all(key == f"payment:{payment}" for key, payment in keys)


def test_measurements_run(bench_data, tmp_path, monkeypatch):
    # The plans of a tiny data set stay out of bench/explain.
    monkeypatch.setattr(run, "ROOT", tmp_path)
    monkeypatch.setattr(run, "EXPLAIN_DIR", tmp_path / "explain")
    users = run.bench_users()
    results: list[run.Result] = []
    run.screen(results, "stage list shoot", "stage", run.client_for(users["supervisor"]),
               "/stages/shoot/", p95_ms=10_000, max_queries=100, requests=2)
    assert results[0].detail["status"] == 200
    assert results[0].detail["queries"] > 0
    run.measure_sweeps(results, users)
    assert [r.detail["statements"] >= 1 for r in results[1:]] == [True, True]
    table = run.markdown(results, {"when": "now", "data": "tiny", "requests": 2, "machine": "test"})
    assert "| stage list shoot |" in table
