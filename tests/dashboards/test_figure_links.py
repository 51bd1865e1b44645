"""Every figure on the dashboards links to the list of the rows it counts.

The dashboards mark each figure with data-figure (its name), data-value (the number shown, raw)
and data-measure (how its list adds up to it): `count` (the list's rows), `sum:<column>` (a
column summed over the list's rows), `net` / `amount` (the payment ledger's total row: net of
refunds, or the amounts as they stand), `superset` (the nearest list holds the figure's rows and
others: it has no filter to narrow it to them) or `report` (a report page shows the figure: a
rate, an average, the callback summary, the membership statistics, a person's performance).
The figure is the link itself, or holds links marked data-list whose lists add up to it. These
tests follow every link with the same user and compare.
"""
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db.models import F, Sum
from django.urls import reverse

from membership.models import MemberAccount
from tests.complaints.factories import ComplaintFactory

from .conftest import at
from .test_dashboards import team  # noqa: F401 (the supervisor's fixture)

pytestmark = pytest.mark.django_db

D = Decimal
SUMS = {"balance": "order__balance_owed", "extra": "extra_amount", "points": "points_balance",
        "order_net": F("order__amount") - F("order__discount")}


class Figures(HTMLParser):
    """Collects {name, value, measure, hrefs} for every data-figure element."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict] = []
        self._open: dict | None = None  # a figure holding links (a span), and its depth
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-figure" in attrs:
            figure = {"name": attrs["data-figure"], "value": attrs.get("data-value", ""),
                      "measure": attrs.get("data-measure", ""), "hrefs": []}
            self.figures.append(figure)
            if tag == "a":
                figure["hrefs"].append(attrs.get("href"))
            else:
                self._open, self._depth = figure, 1
            return
        if self._open is not None:
            if tag == "span":
                self._depth += 1
            if tag == "a" and "data-list" in attrs:
                self._open["hrefs"].append(attrs.get("href"))

    def handle_endtag(self, tag):
        if self._open is not None and tag == "span":
            self._depth -= 1
            if self._depth == 0:
                self._open = None


def figures_of(html: str) -> list[dict]:
    parser = Figures()
    parser.feed(html)
    return parser.figures


def measured(client, href: str, measure: str) -> Decimal | None:
    response = client.get(href)
    assert response.status_code == 200, href
    if measure == "report":
        return None
    if measure in ("net", "amount"):
        totals = response.context["totals"]
        return totals["net"] if measure == "net" else totals["received"] + totals["refunded"]
    paginator = response.context["page"].paginator
    if measure in ("count", "superset"):
        return Decimal(paginator.count)
    assert measure.startswith("sum:"), measure
    return paginator.object_list.aggregate(s=Sum(SUMS[measure[4:]]))["s"] or Decimal(0)


def check_every_figure(client, html: str, *, superset_allowed: set[str]) -> dict[str, list]:
    """Follow each figure's links; return the figures by name for further checks."""
    figures = figures_of(html)
    assert figures
    by_name: dict[str, list] = {}
    for figure in figures:
        by_name.setdefault(figure["name"], []).append(figure)
        assert figure["hrefs"] and all(figure["hrefs"]), figure
        values = [measured(client, href, figure["measure"]) for href in figure["hrefs"]]
        if figure["measure"] == "report":
            continue
        total = sum(values, Decimal(0))
        shown = Decimal(figure["value"])
        if figure["measure"] == "superset":
            assert figure["name"] in superset_allowed, figure
            assert total >= shown, (figure, total)
        else:
            assert total == shown, (figure, total)
    return by_name


@pytest.mark.clock
def test_every_supervisor_figure_leads_to_the_rows_it_counts(client, team, supervisor):  # noqa: F811
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:supervisor")).content.decode()
    figures = check_every_figure(client, html, superset_allowed=set())
    # Not vacuous: the figures of every block are there, and some are not zero.
    for name in ("callbacks-today", "callbacks-overdue", "callbacks-unassigned", "late-total",
                 "complaints-open", "complaints-late", "satisfaction-rate", "specialist-today",
                 "specialist-overdue", "specialist-open", "specialist-customers",
                 "unassigned-today", "unassigned-overdue", "unassigned-open", "late-gown",
                 "late-shoot", "complaints-registered-total", "complaints-open-d7",
                 "complaints-registered-late", "week-answers"):
        assert name in figures, name
    assert figures["callbacks-open-total"][0]["value"] == "6"
    assert figures["complaints-open-total"][0]["value"] == "4"
    assert {f["value"] for f in figures["specialist-open"]} == {"3", "1"}


@pytest.mark.clock
def test_a_general_manager_s_supervisor_figures_are_narrowed_to_the_store(
        client, team, general_manager, store):  # noqa: F811
    client.force_login(general_manager)
    html = client.get(reverse("dashboards:supervisor"), {"store": store.pk}).content.decode()
    # The late list and the follow-ups take the store: exact for a general manager too.
    figures = check_every_figure(client, html, superset_allowed=set())
    assert figures["callbacks-open-total"][0]["value"] == "6"  # 滨江店's T8 is not counted


@pytest.fixture
def march_complaints(march, staff_of):
    customer = march.orders["A"].customer
    register = staff_of("specialist").user
    for received, category in [(at(3, 5), "price"), (at(3, 6), "service_attitude"),
                               (at(2, 5), "price")]:
        ComplaintFactory(store=march.store, by=register, customer=customer, category=category,
                         content="价格", received_at=received)
    return march


def test_every_manager_figure_leads_to_the_rows_it_counts(client, march_complaints, manager):
    client.force_login(manager)
    html = client.get(reverse("dashboards:manager"), {"month": "2025-03"}).content.decode()
    figures = check_every_figure(client, html, superset_allowed=set())
    expected = {"orders-booked": "3", "orders-booked-amount": "13000.00", "revenue-net": "11500.00",
                "revenue-count": "6", "owed": "8400.00", "owing-orders": "4", "orders-active": "4",
                "complaints-total": "2", "revenue-refund": "1000.00", "revenue-deposit": "5500.00",
                "stage-gown-waiting": "2", "stage-shoot-done": "2", "stage-order-reached": "3",
                "orders-cancelled": "1"}
    for name, value in expected.items():
        assert Decimal(figures[name][0]["value"]) == Decimal(value), name
    for name in ("complaints-month-open", "complaints-valid", "complaints-overdue",
                 "points-outstanding", "members", "points-earned", "category-price-total",
                 "categories-closed", "target-orders", "target-revenue", "target-upsell",
                 "stage-selection-avg-days"):
        assert name in figures, name
    # The targets' rows: the store, 门市部 (sales1 + sales2) and each person with a figure.
    store_row = next(f for f in figures["target-orders"] if "consultant" not in f["hrefs"][0])
    assert store_row["value"] == "3"
    # A's gown 500 and selection 1200, C's selection 800; B was cancelled.
    assert [Decimal(f["value"]) for f in figures["target-upsell"]] == [D("2500")]
    outstanding = sum(MemberAccount.objects.filter(customer__store=march_complaints.store)
                      .values_list("points_balance", flat=True))
    assert Decimal(figures["points-outstanding"][0]["value"]) == outstanding
    for chart in ("chart-funnel-list", "chart-revenue-list", "chart-complaints-list"):
        assert f'data-testid="{chart}"' in html
    assert "<script>" not in html


def test_a_general_manager_s_manager_figures_are_narrowed_to_the_store(
        client, march_complaints, general_manager):
    client.force_login(general_manager)
    html = client.get(reverse("dashboards:manager"),
                      {"month": "2025-03", "store": march_complaints.store.pk}).content.decode()
    figures = check_every_figure(client, html, superset_allowed=set())
    assert Decimal(figures["revenue-net"][0]["value"]) == D("11500")  # 滨江店's 9999 is not counted


def test_the_targets_page_links_its_figures_too(client, march, manager):
    client.force_login(manager)
    html = client.get(reverse("dashboards:targets"), {"month": "2025-03"}).content.decode()
    figures = check_every_figure(client, html, superset_allowed=set())
    people = {f["hrefs"][0] for f in figures["target-revenue"] if "consultant=" in f["hrefs"][0]}
    assert len(people) >= 3  # sales1, sales2, the manager (and 门市部 with both)


def test_the_dashboards_have_no_inline_script(client, march, manager):
    client.force_login(manager)
    for name, script in (("supervisor", "dashboard-supervisor.js"),
                         ("manager", "dashboard-manager.js"),
                         ("targets", "dashboard-targets.js")):
        html = client.get(reverse(f"dashboards:{name}")).content.decode()
        assert f"js/{script}" in html
        # json_script's data block is data, not code: it is the only <script> without src.
        inline = [chunk for chunk in html.split("<script")[1:]
                  if "src=" not in chunk.split(">", 1)[0]
                  and 'type="application/json"' not in chunk.split(">", 1)[0]]
        assert inline == [], name
    # Nor inline event handlers (a strict Content-Security-Policy refuses them).
    for template in (settings.BASE_DIR / "templates" / "dashboards").glob("*.html"):
        source = template.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+=", source), template.name
