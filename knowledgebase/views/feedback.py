"""Feedback on the entry page: the helpful vote, comments, hiding a comment, asking the
contact. Every change is a POST; a form with mistakes re-shows the page with its errors."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from knowledgebase import feedback, permissions
from knowledgebase.forms import AskContactForm, CommentForm, HideCommentForm
from knowledgebase.models import Comment
from knowledgebase.views.common import entry_for, require_moderator, require_staff
from knowledgebase.views.entries import entry_page_context


def _feedback_entry(request, slug, check=permissions.can_give_feedback):
    entry = entry_for(request, slug)
    if not check(request.user, entry):
        raise PermissionDenied("Feedback is for signed-in public servants on published entries.")
    return entry


def _again(request, entry, **bound_forms):
    messages.error(request, "Please correct the form below.")
    context = entry_page_context(request, entry, **bound_forms)
    return render(request, "knowledgebase/entry_detail.html", context, status=400)


@require_POST
def vote(request, slug):
    if (denied := require_staff(request)) is not None:
        return denied
    entry = _feedback_entry(request, slug)
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        messages.error(request, "Choose yes or no.")
        return redirect(f"{entry.get_absolute_url()}#feedback-h")
    feedback.vote(entry, by=request.user, helpful=answer == "yes")
    messages.success(request, "Thank you for your answer.")
    return redirect(f"{entry.get_absolute_url()}#feedback-h")


@require_POST
def comment_add(request, slug):
    if (denied := require_staff(request)) is not None:
        return denied
    entry = _feedback_entry(request, slug)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _again(request, entry, comment_form=form)
    comment = feedback.add_comment(entry, by=request.user, body=form.cleaned_data["body"])
    messages.success(request, "Your comment is posted.")
    return redirect(f"{entry.get_absolute_url()}#comment-{comment.pk}")


@require_POST
def comment_hide(request, slug, comment_id):
    if (denied := require_moderator(request)) is not None:
        return denied
    entry = entry_for(request, slug)
    comment = get_object_or_404(Comment, pk=comment_id, entry=entry)
    form = HideCommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for hiding the comment.")
        return redirect(f"{entry.get_absolute_url()}#comment-{comment.pk}")
    feedback.hide_comment(comment, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, "The comment is hidden.")
    return redirect(f"{entry.get_absolute_url()}#comment-{comment.pk}")


@require_POST
def ask_contact(request, slug):
    if (denied := require_staff(request)) is not None:
        return denied
    entry = _feedback_entry(request, slug, check=permissions.can_ask_contact)
    form = AskContactForm(request.POST)
    if not form.is_valid():
        return _again(request, entry, ask_form=form)
    feedback.ask_contact(entry, by=request.user, question=form.cleaned_data["question"])
    messages.success(request, "Your question is sent. The answer will come by email.")
    return redirect(f"{entry.get_absolute_url()}#contact-h")
