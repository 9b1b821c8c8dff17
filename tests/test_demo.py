"""`make demo`'s data: desk accounts and a review queue with claims in every state, made
through the services, and a second run that changes nothing: the same password printed again,
and a clear word when the seed article is not there."""

from __future__ import annotations

import io
import re
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from claims import review
from claims.demo import PASSWORD_FILE, PLANS
from claims.management.commands import demo_setup as demo_setup_command
from claims.models import Claim, ReviewEvent, VerdictVersion

pytestmark = pytest.mark.django_db(transaction=True)

PRINTED_PASSWORD = re.compile(r"Demo logins \(password '([^']+)' for each, kept in (\S+) ")


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """The demo keeps its password in VAR_DIR: a directory of the test's own, never the
    checkout's var/."""
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


def printed_password(output: str) -> str:
    match = PRINTED_PASSWORD.search(output)
    assert match, output
    return match.group(1)


def demo_setup() -> str:
    out = io.StringIO()
    call_command("demo_setup", stdout=out)
    return out.getvalue()


def test_the_demo_fills_the_queue_in_every_state_and_is_idempotent(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    output = demo_setup()
    assert "no claim of" not in output  # every planned claim was found in the extraction
    seed_present = any(demo_setup_command.SEED_DIR.glob("*.txt"))
    assert ("Seed article: none in" in output) is (not seed_present)
    assert f"({len(PLANS)} claims reviewed in this run)" in output
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert statuses == set(Claim.Status.values)
    assert Claim.objects.filter(status="new").count() > Claim.objects.exclude(
        status="new").count()

    published = Claim.objects.filter(status="published")
    assert published.count() == 2
    for claim in published:
        first = claim.verdicts.get(number=1)
        assert first.proposed_by.groups.filter(name="Fact-checkers").exists()
        assert first.published_by.groups.filter(name="Editors").exists()
        assert first.published_by_id != first.proposed_by_id  # four eyes
    assert VerdictVersion.objects.filter(corrected_at__isnull=False).count() == 1

    assert Claim.objects.filter(flagged=True).count() == 2
    touched = Claim.objects.exclude(status="new") | Claim.objects.filter(flagged=True)
    assert touched.count() == len(PLANS)
    assert all(claim.events.exists() for claim in touched)
    assert not ReviewEvent.objects.filter(claim__status="new", claim__flagged=False).exists()
    sent_back = ReviewEvent.objects.filter(data__transition="send_back").get()
    assert sent_back.note and sent_back.claim.status == "in_review"

    User = get_user_model()
    assert {u.username: sorted(u.groups.values_list("name", flat=True))
            for u in User.objects.all()} == {
        "editor": ["Editors"], "editor2": ["Editors"], "checker": ["Fact-checkers"],
        "checker2": ["Fact-checkers"], "reporter": ["Reporters"]}
    assert all(u.is_staff and u.check_password("demo-pass-123") for u in User.objects.all())

    before = (sorted(Claim.objects.values_list("pk", "status", "version")),
              ReviewEvent.objects.count(), VerdictVersion.objects.count(),
              User.objects.count())
    assert "(0 claims reviewed in this run)" in demo_setup()
    assert (sorted(Claim.objects.values_list("pk", "status", "version")),
            ReviewEvent.objects.count(), VerdictVersion.objects.count(),
            User.objects.count()) == before


def test_a_refused_step_keeps_none_of_the_demo_reviews_so_a_rerun_drives_them_all(
        monkeypatch):
    def refuse(**kwargs):
        raise review.NotAllowed("Refused for the test.")

    with monkeypatch.context() as patch:
        patch.setattr(review, "claim_publish", refuse)
        with pytest.raises(CommandError, match="none kept: Refused for the test"):
            demo_setup()
    assert not ReviewEvent.objects.exists()
    assert set(Claim.objects.values_list("status", flat=True)) == {"new"}

    demo_setup()
    assert Claim.objects.filter(status="published").count() == 2


def test_it_prints_the_same_password_on_every_run_and_keeps_it_private(monkeypatch, var_dir):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    monkeypatch.delenv("DEMO_EDITOR_PASSWORD", raising=False)
    first = printed_password(demo_setup())
    kept = var_dir / PASSWORD_FILE
    assert kept.read_text(encoding="utf-8") == first + "\n"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    User = get_user_model()
    assert all(u.check_password(first) for u in User.objects.all())

    # A desk member changed a password in the admin: the next run puts back the one it prints.
    checker = User.objects.get(username="checker")
    checker.set_password("changed-in-the-admin-1")
    checker.save()
    output = demo_setup()
    assert printed_password(output) == first
    assert str(kept) in output
    assert all(u.check_password(first) for u in User.objects.all())

    # DEMO_PASSWORD chooses another, which is kept for the runs after it.
    monkeypatch.setenv("DEMO_PASSWORD", "chosen-demo-pass-456")
    assert printed_password(demo_setup()) == "chosen-demo-pass-456"
    monkeypatch.delenv("DEMO_PASSWORD")
    assert printed_password(demo_setup()) == "chosen-demo-pass-456"
    assert all(u.check_password("chosen-demo-pass-456") for u in User.objects.all())
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_it_makes_a_password_file_that_others_could_read_private_again(monkeypatch, var_dir):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    monkeypatch.delenv("DEMO_EDITOR_PASSWORD", raising=False)
    var_dir.mkdir(parents=True)
    kept = var_dir / PASSWORD_FILE
    kept.write_text("kept-from-before-789\n", encoding="utf-8")
    kept.chmod(0o644)
    monkeypatch.setattr(demo_setup_command, "DEMO_CORPUS", var_dir / "no-corpus-here")
    with pytest.raises(CommandError, match="Demo ingestion failed"):
        demo_setup()  # the accounts come first; the missing corpus stops the run after them
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text(encoding="utf-8") == "kept-from-before-789\n"
    assert get_user_model().objects.get(username="editor").check_password("kept-from-before-789")


def test_it_refuses_an_unreadable_password_file_and_leaves_it_as_it_was(monkeypatch, var_dir):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    monkeypatch.delenv("DEMO_EDITOR_PASSWORD", raising=False)
    var_dir.mkdir(parents=True)
    kept = var_dir / PASSWORD_FILE
    kept.write_bytes(b"\xff\xfe not text")
    with pytest.raises(CommandError, match="demo-password cannot be read or written"):
        demo_setup()
    assert kept.read_bytes() == b"\xff\xfe not text"
    assert not get_user_model().objects.exists()


def test_it_says_when_the_seed_article_is_not_there(monkeypatch, tmp_path):
    missing = tmp_path / "shared" / "data" / "seed"
    monkeypatch.setattr(demo_setup_command, "SEED_DIR", missing)
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    output = demo_setup()
    assert f"Seed article: none in {missing}" in output
    assert "the demo goes on with the demo corpus alone" in output
    assert not Claim.objects.filter(article__source__name="teleSUR").exists()
    assert Claim.objects.filter(status="published").count() == 2  # the rest of the demo ran


def test_the_demo_loads_a_slice_of_the_fact_check_library_when_the_data_is_there():
    from claims.demo import demo_library
    from claims.models import FactCheck
    from tests.conftest import SHARED_DATA, require_data

    retrieval_dir = demo_setup_command.SEED_DIR.parent / "retrieval"
    require_data(SHARED_DATA / "retrieval" / "politifact" / "vclaims.jsonl")
    said = []
    assert demo_library(retrieval_dir=retrieval_dir, log=said.append) == 400
    assert "Fact-check library: 400 records" in said[0] and "400 new" in said[0]
    assert FactCheck.objects.count() == 400
    assert set(FactCheck.objects.values_list("publisher", flat=True)) == {"PolitiFact", "Snopes"}
    # Earlier fact-checks on the demo's stories, dated, for the claim page's search to find.
    assert FactCheck.objects.filter(claim_reviewed__icontains="Ukraine").count() >= 10
    assert not FactCheck.objects.filter(publisher="PolitiFact", reviewed_on=None).exists()
    demo_library(retrieval_dir=retrieval_dir, log=said.append)  # a re-run updates in place
    assert FactCheck.objects.count() == 400 and "0 new, 400 updated" in said[1]


def test_it_says_when_the_fact_check_library_is_not_there(tmp_path):
    from claims.demo import demo_library
    from claims.models import FactCheck

    said = []
    assert demo_library(retrieval_dir=tmp_path / "retrieval", log=said.append) == 0
    assert f"Fact-check library: none in {tmp_path / 'retrieval'}" in said[0]
    assert "the demo goes on with an empty library" in said[0]
    assert not FactCheck.objects.exists()
