"""The queue's priority explained and sorted honestly; every list's sort arrow on the column
its rows are really in order of."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from claims import matching, review
from claims.admin.common import _sort_term
from claims.models import Claim, ClaimLink, Proposition
from claims.roles import FACT_CHECKER, REPORTER
from tests.factories import ClaimFactory, UserFactory, desk_user

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:claims_claim_changelist")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def fiona(db):
    return logged_in(desk_user("fiona", FACT_CHECKER))


def link(claim, target, relation):
    return ClaimLink.objects.create(claim=claim, target_claim=target, relation=relation,
                                    score=0.7, method="test")


def carried(claim, *, outlets=0, contradicting=0):
    """Links making ``claim`` carried by ``outlets`` other outlets (each claim from an
    article of its own source) and contradicted by ``contradicting`` claims."""
    others = []
    for _ in range(outlets):
        others.append(ClaimFactory())
        link(others[-1], claim, ClaimLink.Relation.SUPPORTS)
    for _ in range(contradicting):
        others.append(ClaimFactory())
        link(others[-1], claim, ClaimLink.Relation.CONTRADICTS)
    return others


def refresh_all():
    matching.claims_priority_refresh(claim_ids=Claim.objects.values_list("pk", flat=True))


# --- reading the changelist's HTML -----------------------------------------------------------


def headers(html: str) -> list[dict]:
    """The list's column headers: name, whether marked sorted, which way, and the sort
    priority number Django prints when more than one column is marked."""
    thead = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    found = []
    for chunk in thead.split("<th")[1:]:
        classes = re.search(r'class="([^"]*)"', chunk).group(1).split()
        name = next((c.removeprefix("column-") for c in classes if c.startswith("column-")),
                    None)
        number = re.search(r'class="sortpriority"[^>]*>\s*(\d+)', chunk)
        found.append({"name": name, "sorted": "sorted" in classes,
                      "way": "desc" if "descending" in classes else "asc",
                      "priority": int(number.group(1)) if number else 1})
    return found


def marked(html: str) -> list[tuple[str, str]]:
    """The columns marked sorted, in their sort priority: [(column, "asc"/"desc"), ...]."""
    return [(h["name"], h["way"]) for h in
            sorted((h for h in headers(html) if h["sorted"]), key=lambda h: h["priority"])]


def rows(html: str) -> list[tuple[int, str]]:
    """(claim id, Priority cell HTML) of each row, top to bottom."""
    body = html.split('<table id="result_list">', 1)[1].split("<tbody>", 1)[1]
    return [(int(re.search(r'name="_selected_action" value="(\d+)"', row).group(1)),
             re.search(r'<td class="field-signals">(.*?)</td>', row, re.S).group(1))
            for row in body.split("</tbody>", 1)[0].split("<tr")[1:]]


def shown_sum(cell: str) -> tuple[Decimal, list[Decimal]]:
    total = re.search(r'class="priority-total">([\d.]+)<', cell).group(1)
    return Decimal(total), [Decimal(p) for p in re.findall(r'class="points">([\d.]+)<', cell)]


def words(cell: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


# --- the parts of priority -------------------------------------------------------------------


def test_it_computes_the_stored_priority_from_the_parts_it_shows():
    busy = ClaimFactory(checkworthiness=0.64, flagged=True)
    carried(busy, outlets=3, contradicting=2)
    wide = ClaimFactory(checkworthiness=0.31)
    carried(wide, outlets=7, contradicting=4)  # over both caps
    unscored = ClaimFactory(checkworthiness=None)
    refresh_all()
    for claim in Claim.objects.all():
        parts = matching.priority_parts(claim)
        assert sum(p.points for p in parts) == pytest.approx(claim.priority, abs=1e-9)
    busy.refresh_from_db()
    assert busy.priority == pytest.approx(0.64 + 0.3 + 0.5 + 0.5)
    assert [(p.name, p.count, p.counted) for p in matching.priority_parts(busy)] == [
        ("check-worthiness", None, None), ("outlets", 3, None), ("contradictions", 2, None),
        ("flagged", None, None)]
    wide.refresh_from_db()
    assert [(p.name, p.count, p.counted, round(p.points, 2))
            for p in matching.priority_parts(wide)][1:] == [
        ("outlets", 7, 5, 0.5), ("contradictions", 4, 2, 0.5)]
    unscored.refresh_from_db()
    assert [(p.name, p.points) for p in matching.priority_parts(unscored)] == [
        ("check-worthiness", 0.0)]


def test_the_queue_shows_parts_that_add_up_to_each_priority(fiona):
    busy = ClaimFactory(checkworthiness=0.64, flagged=True)
    carried(busy, outlets=3, contradicting=2)
    wide = ClaimFactory(checkworthiness=0.317)
    carried(wide, outlets=7, contradicting=1)
    ClaimFactory(checkworthiness=0.97)
    ClaimFactory(checkworthiness=None)
    refresh_all()
    html = fiona.get(QUEUE).content.decode()
    cells = dict(rows(html))
    assert len(cells) == Claim.objects.count()
    for pk, cell in cells.items():
        total, points = shown_sum(cell)
        assert total == Decimal(f"{Claim.objects.get(pk=pk).priority:.2f}")
        assert sum(points) == total, words(cell)
    assert words(cells[busy.pk]) == ("1.94 = check-worthy 0.64 + 3 other outlets 0.30 + "
                                     "2 contradictions 0.50 + flagged 0.50")
    assert words(cells[wide.pk]) == ("1.07 = check-worthy 0.32 + 5 of 7 other outlets 0.50 + "
                                     "1 contradiction 0.25")


def test_the_queue_explains_the_formula_above_the_list_and_on_each_priority(fiona):
    ClaimFactory(checkworthiness=0.5)
    refresh_all()
    html = fiona.get(QUEUE).content.decode()
    formula = escape(matching.PRIORITY_FORMULA)
    legend = html.split('class="help priority-legend">', 1)[1].split("</p>", 1)[0]
    assert formula in legend
    assert html.index("priority-legend") < html.index('id="result_list"')
    assert f'title="Priority = {formula}"' in html
    assert "0.1 for each other outlet" in matching.PRIORITY_FORMULA


def test_a_reporters_flag_raises_the_claim_by_the_flag_and_says_so(fiona):
    rita = desk_user("rita", REPORTER)
    plain = ClaimFactory(checkworthiness=0.9)
    quiet = ClaimFactory(checkworthiness=0.6)
    refresh_all()
    assert [pk for pk, _ in rows(fiona.get(QUEUE).content.decode())] == [plain.pk, quiet.pk]
    review.claim_flag(claim=quiet, user=rita)
    html = fiona.get(QUEUE).content.decode()
    assert [pk for pk, _ in rows(html)] == [quiet.pk, plain.pk]
    assert words(dict(rows(html))[quiet.pk]) == "1.10 = check-worthy 0.60 + flagged 0.50"


# --- honest sorting ---------------------------------------------------------------------------


def test_the_queue_is_in_priority_order_with_the_arrow_on_priority_alone(fiona):
    for score in (0.2, 0.97, 0.64, 0.5):
        claim = ClaimFactory(checkworthiness=score)
    carried(claim, outlets=2, contradicting=1)  # 0.5 + 0.2 + 0.25: above 0.64
    refresh_all()
    response = fiona.get(QUEUE)
    html = response.content.decode()
    shown = [pk for pk, _ in rows(html)]
    priorities = [Claim.objects.get(pk=pk).priority for pk in shown]
    assert priorities == sorted(priorities, reverse=True) and len(set(priorities)) > 3
    assert shown[0] == Claim.objects.order_by("-priority").first().pk
    assert marked(html) == [("signals", "desc")]
    assert "highest priority first" in html
    # An empty sort parameter leaves the default order, and so the arrow and the title.
    html = fiona.get(QUEUE, {"o": ""}).content.decode()
    assert [pk for pk, _ in rows(html)] == shown
    assert marked(html) == [("signals", "desc")] and "highest priority first" in html


def test_clicking_priority_sorts_lowest_first_and_the_arrow_and_title_follow(fiona):
    for score in (0.2, 0.97, 0.64):
        ClaimFactory(checkworthiness=score)
    refresh_all()
    column = [h["name"] for h in headers(fiona.get(QUEUE).content.decode())].index("signals")
    html = fiona.get(QUEUE, {"o": str(column)}).content.decode()
    priorities = [Claim.objects.get(pk=pk).priority for pk, _ in rows(html)]
    assert priorities == sorted(priorities)
    assert marked(html) == [("signals", "asc")]
    assert "highest priority first" not in html


def test_the_propositions_list_marks_members_not_first_seen(fiona):
    editor = UserFactory(username="ed", is_staff=True, is_superuser=True)
    crowded = Proposition.objects.create(text="Talks lasted eight hours")
    lonely = Proposition.objects.create(text="Taxes rose")  # newer: first by first seen
    for _ in range(3):
        ClaimLink.objects.create(claim=ClaimFactory(), proposition=crowded, score=0.5,
                                 relation="supports", method="test")
    ClaimLink.objects.create(claim=ClaimFactory(), proposition=lonely, score=0.5,
                             relation="supports", method="test")
    response = logged_in(editor).get(reverse("admin:claims_proposition_changelist"))
    html = response.content.decode()
    assert [p.pk for p in response.context["cl"].result_list] == [crowded.pk, lonely.pk]
    assert marked(html) == [("member_count", "desc")]


# What each list in the claims app is ordered by, as its arrow shows it; None where the
# leading field is not a column (nothing is marked, which claims nothing).
EXPECTED_ARROWS = {
    "claim": [("signals", "desc")],
    "proposition": [("member_count", "desc")],
    "article": [("created_at", "desc")],
    "source": [("name", "asc")],
    "factcheck": [("reviewed_on", "desc")],
    "reviewevent": [("created_at", "desc")],
    "claimant": [("name", "asc")],
    "articlefetch": [("created_at", "desc")],
    "feedentry": [("created_at", "desc")],
    "webhookdelivery": [("created_at", "desc")],
    "apiclient": [("name", "asc")],
}


def changelists():
    for model in admin.site._registry:
        opts = model._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            continue
        yield opts, url


def test_every_lists_arrows_lead_its_real_order_by():
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = logged_in(superuser)
    ClaimFactory(checkworthiness=0.5)  # a row, so the claims' lists have one to show
    checked = set()
    for opts, url in changelists():
        response = client.get(url)
        assert response.status_code == 200, url
        cl = response.context["cl"]
        order_by = list(cl.queryset.query.order_by)
        # What the page's headers are rendered from (an empty list renders no table).
        arrows = [(name, "asc" if h["ascending"] else "desc") for h, name in sorted(
            ((h, name) for h, name in zip(result_headers(cl), cl.list_display, strict=True)
             if h.get("sorted")), key=lambda pair: pair[0]["sort_priority"])]
        for position, (column, way) in enumerate(arrows):
            # The n-th arrow is the n-th term of the ORDER BY sent, the same way round.
            field = _sort_term(cl.get_ordering_field(column))
            term = _sort_term(order_by[position])
            assert field is not None and term is not None, (url, column, order_by)
            assert field[0] == term[0], f"{url}: {column} marked, ordered by {order_by}"
            assert (way == "desc") == (term[1] != field[1]), f"{url}: {column} {way}"
        if opts.app_label == "claims" and opts.model_name in EXPECTED_ARROWS:
            assert arrows == EXPECTED_ARROWS[opts.model_name], url
        checked.add(opts.model_name)
    assert set(EXPECTED_ARROWS) <= checked
