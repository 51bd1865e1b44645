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


# ---- periods that differ (issue 17 item 9) ----------------------------------------------------

@pytest.fixture
def march_with_february_sales(march, manager, time_machine):
    """Two orders sold in February and entered later: E sold on 02-20 (entered on 03-02, as an
    import or the demo seeding does), W sold on 02-26 with a discount above the store's limit,
    approved by the manager on 03-02: its 定单 stage is done in March, the order is February's."""
    from orders.services import order_approve, order_create
    from tests.factories import CustomerFactory, PackageFactory

    store, seller = march.store, march.people["sales1"]
    type(store).objects.filter(pk=store.pk).update(discount_limit=D("100"))
    store.refresh_from_db()
    package = PackageFactory(name="儿童套系")
    time_machine.move_to(at(3, 2, 9), tick=False)
    entered = order_create(customer=CustomerFactory(store=store), package=package, by=seller,
                           consultant=seller, amount=D("3000"), at=at(2, 20))
    waiting = order_create(customer=CustomerFactory(store=store), package=package, by=seller,
                           consultant=seller, amount=D("4000"), discount=D("800"), at=at(2, 26))
    assert waiting.status == "pending_approval"
    order_approve(order=waiting, by=manager)
    time_machine.move_to(at(3, 20, 12), tick=False)
    return {"entered": entered, "waiting": waiting}


def test_an_order_is_dated_when_it_was_sold_not_when_it_was_entered(march_with_february_sales):
    entered = march_with_february_sales["entered"]
    entered.refresh_from_db()
    assert entered.created_at == at(2, 20)
    assert entered.stages.get(kind="order").completed_at == at(2, 20)


def test_manager_figures_follow_their_lists_when_sold_and_done_fall_in_different_months(
        client, march_with_february_sales, manager):
    client.force_login(manager)
    march = client.get(reverse("dashboards:manager"), {"month": "2025-03"}).content.decode()
    figures = check_every_figure(client, march, superset_allowed=set())
    # 本月订单 is March's sales only (A, D, F): February's orders entered or approved in March
    # are not March's orders, yet W's 定单 stage was done (approved) in March.
    assert figures["orders-booked"][0]["value"] == "3"
    assert figures["stage-order-done"][0]["value"] == "4"  # A, D, F and W (approved 03-02)
    assert figures["stage-order-reached"][0]["value"] == "3"
    february = client.get(reverse("dashboards:manager"), {"month": "2025-02"}).content.decode()
    figures = check_every_figure(client, february, superset_allowed=set())
    assert figures["orders-booked"][0]["value"] == "3"  # C, E and W
    assert figures["stage-order-done"][0]["value"] == "2"  # C and E (W waited for approval)


def test_the_targets_page_follows_its_lists_with_february_sales(
        client, march_with_february_sales, manager):
    client.force_login(manager)
    html = client.get(reverse("dashboards:targets"), {"month": "2025-03"}).content.decode()
    figures = check_every_figure(client, html, superset_allowed=set())
    store_row = next(f for f in figures["target-orders"] if "consultant" not in f["hrefs"][0])
    assert store_row["value"] == "3"


@pytest.mark.clock
def test_supervisor_figures_follow_their_lists_with_february_sales(
        client, team, march_with_february_sales, supervisor):  # noqa: F811
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:supervisor")).content.decode()
    check_every_figure(client, html, superset_allowed=set())


# ---- 客流统计 (frontdesk visitors report): the same treatment -----------------------------------

@pytest.fixture
def visitors_week(store, other_store, front_desk, staff_of, time_machine):
    """The week 03-10..03-16 (today 03-20). Counted as 成交: N1 (03-10) and N2 (03-12), new
    customers' first orders. Not counted: R's second order (03-11; R first bought in January),
    P's order sold in February and entered on 03-11 (the demo data's 150 of 154), X's first order
    cancelled, O's first order in the other store. Walk-outs: two in the week (03-10, 03-14),
    one the week before, one in the other store."""
    from frontdesk.production import walkout_record
    from orders.services import order_cancel, order_create
    from tests.factories import CustomerFactory, PackageFactory

    time_machine.move_to(at(3, 11, 18), tick=False)
    package = PackageFactory(name="经典婚纱照")
    far_desk = staff_of("front_desk", other_store, user__username="far_desk").user

    def sell(customer, when, by=front_desk):
        return order_create(customer=customer, package=package, by=by, at=when)

    sell(CustomerFactory(store=store), at(3, 10, 11))
    sell(CustomerFactory(store=store), at(3, 12, 15))
    returning = CustomerFactory(store=store)
    sell(returning, at(1, 8))
    sell(returning, at(3, 11))
    sell(CustomerFactory(store=store), at(2, 14))  # entered today (03-11), sold in February
    order_cancel(order=sell(CustomerFactory(store=store), at(3, 13)), by=front_desk,
                 reason="客户取消")
    sell(CustomerFactory(store=other_store), at(3, 12), by=far_desk)
    time_machine.move_to(at(3, 20, 12), tick=False)
    for where, by, mobile, when in [(store, front_desk, "13900000001", at(3, 10, 16)),
                                    (store, front_desk, "13900000002", at(3, 14, 11)),
                                    (store, front_desk, "13900000003", at(3, 5, 11)),
                                    (other_store, far_desk, "13900000004", at(3, 12, 11))]:
        walkout_record(store=where, by=by, name="李四", mobile=mobile, title="ms", reason="price",
                       reason_note="", visited_at=when)


def test_every_visitors_figure_leads_to_the_rows_it_counts(client, visitors_week, front_desk):
    client.force_login(front_desk)
    html = client.get(reverse("frontdesk:visitors"),
                      {"start": "2025-03-10", "end": "2025-03-16"}).content.decode()
    figures = check_every_figure(client, html, superset_allowed=set())
    assert (figures["visitors"][0]["value"], figures["visitors-ordered"][0]["value"],
            figures["visitors-walked-out"][0]["value"]) == ("4", "2", "2")
    # 03-10 (N1 and a walk-out), 03-12 (N2), 03-14 (a walk-out)
    assert [f["value"] for f in figures["day-ordered"]] == ["1", "1", "0"]
    assert [f["value"] for f in figures["day-walked-out"]] == ["1", "0", "1"]


def test_a_general_manager_s_visitors_figures_are_narrowed_to_the_store(
        client, visitors_week, general_manager, store, other_store):
    client.force_login(general_manager)
    for where, expected in ((store, ("4", "2", "2")), (other_store, ("2", "1", "1"))):
        html = client.get(reverse("frontdesk:visitors"), {
            "start": "2025-03-10", "end": "2025-03-16", "store": where.pk}).content.decode()
        figures = check_every_figure(client, html, superset_allowed=set())
        assert (figures["visitors"][0]["value"], figures["visitors-ordered"][0]["value"],
                figures["visitors-walked-out"][0]["value"]) == expected
    html = client.get(reverse("frontdesk:visitors"),
                      {"start": "2025-03-10", "end": "2025-03-16"}).content.decode()
    figures = check_every_figure(client, html, superset_allowed=set())  # every store
    assert figures["visitors"][0]["value"] == "6"
