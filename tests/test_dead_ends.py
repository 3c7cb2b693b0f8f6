"""No dead ends (issue 12): password reset in the site's own pages, how to get an account,
the true reason an entry cannot be edited, each linked entry listed once, a visible vote,
and demo roles that say what the accounts can do."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from knowledgebase import demo, links, permissions
from knowledgebase.models import EntryLink, Vote
from tests.conftest import make_entry

RESET_PAGES = ["password_reset", "password_reset_done", "password_reset_complete"]


def reset_link(mail) -> str:
    return re.search(r"https?://\S+", mail.body).group(0)


# --- password reset ---------------------------------------------------------------------


@pytest.mark.parametrize("name", RESET_PAGES)
def test_reset_pages_are_the_sites_own(client, db, name):
    page = client.get(reverse(name)).content.decode()

    assert "Django administration" not in page
    assert 'href="/static/knowledgebase/kb.css"' in page
    assert " · Commons</title>" in page


def test_the_reset_form_uses_the_sites_field(client, db):
    page = client.get(reverse("password_reset")).content.decode()

    assert '<div class="field">' in page
    assert '<label for="id_email">Email' in page
    assert 'class="button-primary">Send the link</button>' in page


def test_sign_in_links_to_the_password_reset(client, db):
    page = client.get(reverse("login")).content.decode()

    assert f'<a href="{reverse("password_reset")}">Forgot your password?</a>' in page


def test_a_real_users_email_gets_one_link_to_a_working_set_password_page(
    client, alice, mailoutbox, settings
):
    settings.KB_SITE_URL = "https://commons.example.gov/"

    response = client.post(reverse("password_reset"), {"email": "ALICE@example.gov"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["alice@example.gov"]
    assert mail.subject == "Reset your Commons password"
    assert "alice" in mail.body
    link = reset_link(mail)
    assert link.startswith("https://commons.example.gov/accounts/reset/")
    form = client.get(link.removeprefix("https://commons.example.gov"), follow=True)
    page = form.content.decode()
    assert "Choose a new password" in page and "Django administration" not in page
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "tidy-harbour-lantern-42", "new_password2": "tidy-harbour-lantern-42"},
    )
    assert done["Location"] == reverse("password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password("tidy-harbour-lantern-42")


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, alice, mailoutbox):
    known = client.post(reverse("password_reset"), {"email": "alice@example.gov"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody-here@example.gov"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [mail.to for mail in mailoutbox] == [["alice@example.gov"]]


def test_a_used_link_says_so_and_offers_a_new_one(client, alice, mailoutbox):
    client.post(reverse("password_reset"), {"email": "alice@example.gov"})
    path = "/accounts/reset/" + reset_link(mailoutbox[0]).split("/accounts/reset/")[1]
    form = client.get(path, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "x7-quiet-river-bank", "new_password2": "x7-quiet-river-bank"},
    )

    page = client.get(path, follow=True).content.decode()

    assert "This link no longer works" in page
    assert f'href="{reverse("password_reset")}"' in page


# --- how to get an account --------------------------------------------------------------


def test_sign_in_says_how_to_get_an_account(client, db):
    page = client.get(reverse("login")).content.decode()

    assert "Commons accounts are for public servants" in page
    assert "mailto:" not in page


def test_sign_in_links_the_support_address_when_there_is_one(client, db, settings):
    settings.KB_SUPPORT_EMAIL = "commons-help@example.gov"

    page = client.get(reverse("login")).content.decode()

    assert '<a href="mailto:commons-help@example.gov">commons-help@example.gov</a>' in page


# --- why an entry cannot be edited ------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "state", "reason"),
    [
        ("alice", "submitted", "This entry is waiting for review. Withdraw it from review"),
        ("alice", "archived", "Archived entries cannot be edited; ask a moderator to restore"),
        ("alice", "rejected", "This entry was not accepted for publication"),
        ("mona", "archived", "Archived entries cannot be edited; restore it first."),
        ("bob", "published", "Only its authors and moderators can edit this entry."),
        ("nobody", "published", "Only signed-in public servants with a home agency"),
    ],
)
def test_edit_refusal_gives_the_true_reason(request, alice, persona, state, reason):
    user = request.getfixturevalue(persona)
    entry = make_entry(author=alice, state=state)

    assert permissions.edit_refusal(user, entry).startswith(reason)


@pytest.mark.parametrize(
    "state", ["draft", "submitted", "changes-requested", "published", "rejected", "archived"]
)
@pytest.mark.parametrize("persona", ["alice", "bob", "mona", "nobody"])
def test_edit_refusal_is_empty_exactly_when_editing_is_allowed(request, alice, persona, state):
    user = request.getfixturevalue(persona)
    entry = make_entry(author=alice, state=state)

    assert (permissions.edit_refusal(user, entry) == "") == permissions.can_edit(user, entry)


def test_the_edit_page_refuses_with_the_reason(as_user, alice):
    entry = make_entry(author=alice, state="submitted")

    response = as_user(alice).get(reverse("kb:entry-edit", args=[entry.slug]))

    assert response.status_code == 403
    assert "This entry is waiting for review. Withdraw it from review to edit it again." in (
        response.content.decode()
    )


def test_an_author_sees_the_reason_and_withdraw_instead_of_edit(as_user, alice):
    entry = make_entry(author=alice, state="submitted")

    page = as_user(alice).get(entry.get_absolute_url()).content.decode()

    assert reverse("kb:entry-edit", args=[entry.slug]) not in page
    assert '<p class="edit-refusal">This entry is waiting for review.' in page
    assert reverse("kb:entry-withdraw", args=[entry.slug]) in page


def test_readers_who_are_not_authors_see_no_reason(as_user, alice, bob):
    entry = make_entry(author=alice)

    page = as_user(bob).get(entry.get_absolute_url()).content.decode()

    assert "edit-refusal" not in page


# --- each linked entry once -------------------------------------------------------------


def connected(client, entry) -> str:
    page = client.get(entry.get_absolute_url()).content.decode()
    return page.split('id="links-h"')[1].split("</section>")[0]


def test_a_typed_link_beats_a_plain_related_one(client, alice):
    entry = make_entry(author=alice, title="Chatbot pilot")
    base = make_entry(title="Virtual assistant playbook")
    links.add_link(entry, base, kind="related", by=alice)
    links.add_link(entry, base, kind="builds-on", by=alice)

    section = connected(client, entry)

    assert section.count("Virtual assistant playbook</a>") == 1
    assert '<span class="link-kind">Builds on:</span>' in section
    assert "Related:" not in section


def test_an_entry_linked_both_ways_is_listed_once_under_the_link_out(client, alice):
    entry = make_entry(author=alice, title="Chatbot pilot")
    other = make_entry(title="Virtual assistant playbook")
    links.add_link(entry, other, kind="builds-on", by=alice)
    links.add_link(other, entry, kind="related", by=alice)

    section = connected(client, entry)

    assert section.count("Virtual assistant playbook</a>") == 1
    assert "(links back)" in section
    assert "backlink-kind" not in section


def test_an_entry_linking_here_twice_shows_under_its_strongest_kind(client, alice):
    entry = make_entry(author=alice, title="Virtual assistant playbook")
    other = make_entry(title="Chatbot pilot")
    links.add_link(other, entry, kind="related", by=alice)
    links.add_link(other, entry, kind="builds-on", by=alice)

    section = connected(client, entry)

    assert section.count("Chatbot pilot</a>") == 1
    assert '<h3 class="backlink-kind">Builds on this</h3>' in section
    assert ">Related</h3>" not in section


def test_two_typed_links_to_one_entry_make_one_row_naming_both(client, alice):
    entry = make_entry(author=alice)
    other = make_entry(title="Paper forms study")
    links.add_link(entry, other, kind="contradicts", by=alice)
    links.add_link(entry, other, kind="adapted-from", by=alice)

    section = connected(client, entry)

    assert section.count("Paper forms study</a>") == 1
    assert '<span class="link-kind">Adapted from, contradicts:</span>' in section


def test_the_editor_still_lists_every_link(as_user, alice):
    entry = make_entry(author=alice, state="draft")
    other = make_entry(title="Paper forms study")
    links.add_link(entry, other, kind="related", by=alice)
    links.add_link(entry, other, kind="builds-on", by=alice)

    page = as_user(alice).get(reverse("kb:entry-edit", args=[entry.slug])).content.decode()

    assert page.count("Paper forms study</a>") == 2
    assert EntryLink.objects.filter(source=entry).count() == 2


# --- the vote's pressed state -----------------------------------------------------------


def test_the_persons_own_vote_is_pressed_and_said(as_user, alice, bob):
    entry = make_entry(author=alice)
    client = as_user(bob)
    client.post(reverse("kb:entry-vote", args=[entry.slug]), {"helpful": "yes"})

    page = client.get(entry.get_absolute_url()).content.decode()

    assert Vote.objects.get(entry=entry, user=bob).helpful is True
    assert re.search(
        r'value="yes" aria-pressed="true"><span class="vote-check"[^>]*>✓</span> Yes', page
    )
    assert 'value="no" aria-pressed="false">No</button>' in page
    assert "You said <strong>yes</strong>" in page


def test_without_a_vote_nothing_is_pressed(as_user, alice, bob):
    entry = make_entry(author=alice)

    page = as_user(bob).get(entry.get_absolute_url()).content.decode()

    assert 'aria-pressed="true"' not in page
    assert page.count('aria-pressed="false"') == 2


# --- demo roles -------------------------------------------------------------------------


def test_every_demo_account_with_an_agency_is_labelled_as_able_to_write():
    assert {spec["role"] for spec in demo.USERS} == {"contributor", "moderator", "admin"}


def test_riley_is_listed_as_a_contributor_and_can_write(db):
    out = StringIO()
    call_command("load_demo", stdout=out)

    riley = User.objects.get(username="riley")
    assert permissions.can_create(riley)
    row = next(line for line in out.getvalue().splitlines() if line.strip().startswith("riley"))
    assert "contributor" in row and "reader" not in row
