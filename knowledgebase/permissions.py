"""Who may do what. Every view, API call and workflow function asks here; templates only
mirror these answers to hide buttons."""

from django.conf import settings

MODERATORS_GROUP = "moderators"

# States in which the authors themselves may still change the text.
AUTHOR_EDITABLE_STATES = {"draft", "changes-requested", "published"}


def public_read_enabled() -> bool:
    return settings.KB_PUBLIC_READ


def is_moderator(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Cached per request object: templates and views ask many times.
    if not hasattr(user, "_kb_is_moderator"):
        user._kb_is_moderator = user.groups.filter(name=MODERATORS_GROUP).exists()
    return user._kb_is_moderator


def home_agency(user):
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    return profile.agency if profile else None


def is_staff_member(user) -> bool:
    """A signed-in public servant: a user with a home agency (or a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    try:
        return user.profile.agency_id is not None
    except user._meta.model.profile.RelatedObjectDoesNotExist:
        return False


def is_author(user, entry) -> bool:
    if not user.is_authenticated:
        return False
    if entry.created_by_id == user.id:
        return True
    # Remembered on the entry: one page asks several rules about the same entry.
    if not hasattr(entry, "_kb_author_ids"):
        entry._kb_author_ids = {author.pk for author in entry.authors.all()}
    return user.pk in entry._kb_author_ids


def can_view(user, entry) -> bool:
    if entry.state in ("published", "archived"):
        if is_staff_member(user):
            return True
        return entry.visibility == "public" and public_read_enabled()
    return is_moderator(user) or (is_staff_member(user) and is_author(user, entry))


def can_create(user) -> bool:
    return is_staff_member(user)


def can_edit(user, entry) -> bool:
    if is_moderator(user):
        return entry.state != "archived"
    return (
        is_staff_member(user) and entry.state in AUTHOR_EDITABLE_STATES and is_author(user, entry)
    )


def edit_refusal(user, entry) -> str:
    """Why this person may not edit this entry, in words for them; "" when they may. The
    one place the reasons live, so the edit page's 403 and the entry page say the same."""
    if can_edit(user, entry):
        return ""
    if not is_staff_member(user):
        return "Only signed-in public servants with a home agency can edit entries."
    if is_moderator(user) and entry.state == "archived":
        return "Archived entries cannot be edited; restore it first."
    if not is_author(user, entry):
        return "Only its authors and moderators can edit this entry."
    if entry.state == "archived":
        return "Archived entries cannot be edited; ask a moderator to restore it."
    if entry.state == "submitted":
        return "This entry is waiting for review. Withdraw it from review to edit it again."
    if entry.state == "rejected":
        return (
            "This entry was not accepted for publication, so it can no longer be edited; "
            "the moderator's reason is in its workflow history."
        )
    # A state added later without a reason here: still say something true.
    return f"Entries that are {entry.get_state_display().lower()} cannot be edited."


def acts_for_authors(user, entry) -> bool:
    """An author (or a moderator) who may take the authors' workflow steps, in any state."""
    return is_staff_member(user) and (is_author(user, entry) or is_moderator(user))


def can_submit(user, entry) -> bool:
    return entry.state in ("draft", "changes-requested") and acts_for_authors(user, entry)


def can_withdraw(user, entry) -> bool:
    return entry.state == "submitted" and is_staff_member(user) and is_author(user, entry)


def can_moderate(user) -> bool:
    return is_moderator(user)


def can_see_history(user, entry) -> bool:
    """The workflow log and review notes are for the authors and moderators."""
    return is_moderator(user) or (is_staff_member(user) and is_author(user, entry))


def can_record_adoption(user, entry) -> bool:
    """Staff record what their own agency did with a published practice of another agency."""
    agency = home_agency(user)
    if agency is None or entry.state != "published" or not can_view(user, entry):
        return False
    return agency.pk != entry.lead_agency_id


def can_remove_adoption(user, adoption) -> bool:
    """Somebody of the adopting agency, or a moderator."""
    if is_moderator(user):
        return True
    agency = home_agency(user)
    return agency is not None and agency.pk == adoption.agency_id


def can_give_feedback(user, entry) -> bool:
    """Votes, comments and questions: signed-in public servants, on published entries."""
    return is_staff_member(user) and entry.state == "published" and can_view(user, entry)


def can_ask_contact(user, entry) -> bool:
    contact = entry.contact
    return (
        can_give_feedback(user, entry)
        and contact is not None
        and contact.is_active
        and contact.pk != user.pk
    )
