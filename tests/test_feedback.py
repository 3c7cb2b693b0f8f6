"""Feedback: helpful votes, comments (sanitized, hideable), questions to the contact."""

import pytest
from django.core import mail
from django.urls import reverse

from knowledgebase.models import Comment, Notification, Vote
from tests.conftest import make_entry


@pytest.fixture
def entry(alice, mona):
    alice.email = "alice@example.gov"
    alice.save()
    return make_entry(author=alice, contact=alice, title="Text-back queues")


def url(name, entry, *args) -> str:
    return reverse(f"kb:{name}", args=[entry.slug, *args])


def test_one_vote_per_person_which_they_can_change(as_user, entry, bob):
    client = as_user(bob)

    client.post(url("entry-vote", entry), {"helpful": "yes"})
    client.post(url("entry-vote", entry), {"helpful": "yes"})
    assert Vote.objects.filter(entry=entry).count() == 1
    client.post(url("entry-vote", entry), {"helpful": "no"})

    vote = Vote.objects.get(entry=entry)
    assert (vote.user, vote.helpful) == (bob, False)
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "0 found it helpful · 1 did not" in page


def test_a_vote_must_be_yes_or_no(as_user, entry, bob):
    as_user(bob).post(url("entry-vote", entry), {"helpful": "maybe"})

    assert not Vote.objects.exists()


@pytest.mark.parametrize("view", ["entry-vote", "comment-add", "ask-contact"])
def test_anonymous_and_agencyless_people_cannot_give_feedback(client, entry, nobody, view):
    data = {"helpful": "yes", "body": "Hi", "question": "How?"}

    anonymous = client.post(url(view, entry), data)
    client.force_login(nobody)
    agencyless = client.post(url(view, entry), data)

    assert "/accounts/login/" in anonymous["Location"]
    assert agencyless.status_code == 403
    assert not Vote.objects.exists() and not Comment.objects.exists()
    assert not Notification.objects.exists()


def test_no_feedback_on_drafts(as_user, alice, bob, mona):
    draft = make_entry(author=alice, state="draft")

    assert as_user(mona).post(url("entry-vote", draft), {"helpful": "yes"}).status_code == 403


def test_comments_are_sanitized_and_notify_the_authors(
    as_user, entry, alice, bob, django_capture_on_commit_callbacks
):
    hostile = (
        "<script>alert(1)</script> **Worked** [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(bob).post(url("comment-add", entry), {"body": hostile})

    assert response.status_code == 302
    comment = Comment.objects.get()
    assert "<strong>Worked</strong>" in comment.body_html
    # Raw HTML shows as text: no element, attribute or link of it survives.
    for bad in ("<script", "<img", 'href="javascript'):
        assert bad not in comment.body_html
    page = as_user(bob).get(entry.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page
    assert Notification.objects.filter(user=alice, text__contains="commented").exists()
    assert mail.outbox and mail.outbox[0].to == ["alice@example.gov"]


def test_an_empty_or_over_long_comment_shows_the_error(as_user, entry, bob):
    client = as_user(bob)

    empty = client.post(url("comment-add", entry), {"body": ""})
    long = client.post(url("comment-add", entry), {"body": "x" * 5001})

    assert empty.status_code == long.status_code == 400
    assert "This field is required" in empty.content.decode()
    assert "at most 5000 characters" in long.content.decode()
    assert not Comment.objects.exists()


def test_moderators_hide_a_comment_with_a_reason(client, entry, bob, mona):
    comment = Comment.objects.create(entry=entry, author=bob, body="Buy cheap pills")
    hide = url("comment-hide", entry, comment.pk)

    client.force_login(bob)
    assert client.post(hide, {"reason": "mine"}).status_code == 403
    client.force_login(mona)
    client.post(hide, {"reason": ""})
    assert Comment.objects.get().hidden_at is None
    client.post(hide, {"reason": "Advertising"})

    comment.refresh_from_db()
    assert (comment.hidden_by, comment.hidden_reason) == (mona, "Advertising")
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Hidden by a moderator: Advertising" in page and "cheap pills" not in page


def test_asking_the_contact_sends_an_email_they_can_reply_to(
    as_user, entry, alice, bob, django_capture_on_commit_callbacks
):
    bob.email = "bob@example.gov"
    bob.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(bob).post(url("ask-contact", entry), {"question": "What did it cost?"})

    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["alice@example.gov"] and message.reply_to == ["bob@example.gov"]
    assert "What did it cost?" in message.body
    assert Notification.objects.filter(user=alice, text__contains="What did it cost?").exists()


def test_the_contact_does_not_ask_themselves(as_user, entry, alice):
    response = as_user(alice).post(url("ask-contact", entry), {"question": "Me?"})

    assert response.status_code == 403
    assert (
        "Ask the contact a question"
        not in as_user(alice).get(entry.get_absolute_url()).content.decode()
    )


def test_entry_page_queries_do_not_grow_with_comments(
    client, entry, bob, django_assert_max_num_queries
):
    client.force_login(bob)
    Comment.objects.create(entry=entry, author=bob, body="One")
    with django_assert_max_num_queries(60) as few:
        client.get(entry.get_absolute_url())
    for i in range(10):
        Comment.objects.create(entry=entry, author=bob, body=f"More {i}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(entry.get_absolute_url())
