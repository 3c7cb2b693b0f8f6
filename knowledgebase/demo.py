"""Demo content for Commons: a handful of agencies, people, entries and collections.

The entries' content (text, tags, agencies, facets, outcomes) lives in
`data/demo_entries.jsonl`, in the import format, and is loaded through the same write path
as `import_entries`. Python sets up what that file does not carry: agencies, people, each
entry's workflow (authors, contact, review history), links and collections. `load()`
creates whatever is missing, keyed by slug and username, and never touches what already
exists: running it twice changes nothing. Every workflow step goes through `moderation`, so
the review log of each entry is real. Workflow dates are relative to the day of loading, so
the demo always looks recent (and one entry is always due a review).

The agencies are fictional but plausible; all prose here was written for this demo."""

from datetime import timedelta
from pathlib import Path
from textwrap import dedent

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from knowledgebase import entries, importing, moderation
from knowledgebase.models import (
    Agency,
    Collection,
    CollectionItem,
    Entry,
    EntryLink,
    Profile,
    Transition,
)
from knowledgebase.permissions import MODERATORS_GROUP

ENTRIES_FILE = Path(__file__).resolve().parent / "data" / "demo_entries.jsonl"

DEMO_PASSWORD = "commons-demo"
MODERATOR = "morgan"

State = Entry.State


def _md(text: str) -> str:
    return dedent(text).strip() + "\n"


AGENCIES = [
    {
        "slug": "fsda",
        "name": "Federal Service Delivery Administration",
        "acronym": "FSDA",
        "level": "federal",
    },
    {
        "slug": "cx-coe",
        "name": "Customer Experience Center of Excellence",
        "acronym": "CX CoE",
        "level": "federal",
        "parent": "fsda",
    },
    {
        "slug": "fba",
        "name": "Federal Benefits Administration",
        "acronym": "FBA",
        "level": "federal",
    },
    {
        "slug": "franklin-revenue",
        "name": "State of Franklin Department of Revenue",
        "acronym": "DOR",
        "level": "state",
    },
    {
        "slug": "franklin-workforce",
        "name": "State of Franklin Workforce Commission",
        "acronym": "FWC",
        "level": "state",
    },
    {
        "slug": "riverton-311",
        "name": "City of Riverton 311",
        "acronym": "Riverton 311",
        "level": "local",
    },
]

# role: contributor, moderator or admin. Everyone signed in with a home agency is staff and
# may write, so there is no read-only account: riley is a contributor who has written nothing
# yet (a newcomer's view). `load_demo` prints these roles next to the accounts.
USERS = [
    {
        "username": "alex",
        "first_name": "Alex",
        "last_name": "Rivera",
        "agency": "fba",
        "job_title": "Contact center program manager",
        "role": "contributor",
    },
    {
        "username": "priya",
        "first_name": "Priya",
        "last_name": "Natarajan",
        "agency": "franklin-revenue",
        "job_title": "Taxpayer experience lead",
        "role": "contributor",
    },
    {
        "username": "jordan",
        "first_name": "Jordan",
        "last_name": "Lee",
        "agency": "riverton-311",
        "job_title": "311 operations supervisor",
        "role": "contributor",
    },
    {
        "username": MODERATOR,
        "first_name": "Morgan",
        "last_name": "Blake",
        "agency": "cx-coe",
        "job_title": "Knowledge manager",
        "role": "moderator",
    },
    {
        "username": "admin",
        "first_name": "Dana",
        "last_name": "Whitfield",
        "agency": "fsda",
        "job_title": "Platform administrator",
        "role": "admin",
    },
    {
        "username": "riley",
        "first_name": "Riley",
        "last_name": "Chen",
        "agency": "franklin-workforce",
        "job_title": "Policy analyst",
        "role": "contributor",
    },
]

# Each entry's people and history, by the entry's id in ENTRIES_FILE. `days` are days
# before loading: created, submitted, decided (approved / changes requested / rejected),
# archived. Published entries are published on their `decided` day. `review_in` is days from
# today (negative: the review date has passed and the entry shows as stale).
WORKFLOW = {
    "callback-scheduling-cuts-phone-wait-times": {
        "authors": ["alex", "jordan"],
        "contact": "alex",
        "state": State.PUBLISHED,
        "days": {"created": 410, "submitted": 392, "decided": 380},
        "review_in": 350,
        "review_note": "Clear numbers and a generous how-to. Thank you both.",
        "featured_order": 1,
    },
    "customer-experience-champion-network": {
        "authors": ["priya", "alex"],
        "contact": MODERATOR,
        "state": State.PUBLISHED,
        "days": {"created": 560, "submitted": 535, "decided": 520},
        "review_in": 200,
        "featured_order": 3,
    },
    "post-transaction-satisfaction-survey": {
        "authors": ["alex", MODERATOR],
        "contact": MODERATOR,
        "state": State.PUBLISHED,
        "days": {"created": 480, "submitted": 462, "decided": 450},
        "review_in": 280,
        "reviewer": "admin",
    },
    "mobile-payment-plan-setup": {
        "authors": ["priya"],
        "contact": "priya",
        "state": State.PUBLISHED,
        "days": {"created": 140, "submitted": 121, "decided": 110},
        "review_in": 620,
        "review_note": "Lovely to see the Riverton lesson put to use.",
        "featured_order": 2,
    },
    "riverton-app-before-mobile-web": {
        "authors": ["jordan"],
        "contact": "jordan",
        "state": State.PUBLISHED,
        "days": {"created": 640, "submitted": 612, "decided": 600},
        "review_in": -30,
    },
    "internal-customer-service-levels": {
        "authors": ["admin", "alex"],
        "contact": "alex",
        "state": State.PUBLISHED,
        "days": {"created": 330, "submitted": 312, "decided": 300},
        "review_in": 400,
    },
    "state-city-contact-center-practice-exchange": {
        "authors": ["jordan", "priya"],
        "contact": "jordan",
        "state": State.PUBLISHED,
        "days": {"created": 200, "submitted": 181, "decided": 170},
        "review_in": 500,
    },
    "plain-language-notices-guide": {
        "authors": ["priya"],
        "contact": "priya",
        "state": State.PUBLISHED,
        "days": {"created": 70, "submitted": 52, "decided": 45},
        "review_in": 700,
        "featured_order": 4,
    },
    "plain-language-letter-checklist": {
        "authors": ["priya"],
        "contact": "priya",
        "state": State.PUBLISHED,
        "days": {"created": 720, "submitted": 700, "decided": 690},
        "review_in": 60,
    },
    "accessibility-testing-with-real-users": {
        "authors": [MODERATOR],
        "contact": MODERATOR,
        "state": State.PUBLISHED,
        "days": {"created": 262, "submitted": 250, "decided": 240},
        "review_in": 450,
        "reviewer": "admin",
    },
    "benefits-chat-assistant-pilot": {
        "authors": ["alex"],
        "contact": "alex",
        "state": State.DRAFT,
        "days": {"created": 12},
        "review_in": None,
    },
    "customer-effort-score-across-channels": {
        "authors": ["priya"],
        "contact": "priya",
        "state": State.SUBMITTED,
        "days": {"created": 15, "submitted": 6},
        "review_in": None,
        "submit_note": "Ready for review. Riley at the Workforce Commission checked their figures.",
    },
    "internal-it-help-desk-pulse": {
        "authors": ["jordan"],
        "contact": "jordan",
        "state": State.CHANGES_REQUESTED,
        "days": {"created": 30, "submitted": 20, "decided": 16},
        "review_in": None,
        "review_note": (
            "Thanks, Jordan, this is useful and we would like to publish it. Before we do: the "
            "Results section gives only the figures after the changes. Please add a baseline "
            "(even a rough one, such as complaint counts from before the survey started) and "
            "say who collected the numbers, so readers can judge the change. A sentence on what "
            "it cost in staff time would help too."
        ),
    },
    "queue-software-vendor-review": {
        "authors": ["alex"],
        "contact": "alex",
        "state": State.REJECTED,
        "days": {"created": 70, "submitted": 60, "decided": 55},
        "review_in": None,
        "review_note": (
            "Commons shares practices, not product recommendations, and this entry is mostly a "
            "comparison of one vendor's features and prices, so we cannot publish it. How you "
            "ran the procurement (your requirements, the pilot, what you measured and what you "
            "would tell another agency) would make a very welcome new entry."
        ),
    },
    "fax-back-tax-forms": {
        "authors": ["priya"],
        "contact": "priya",
        "state": State.ARCHIVED,
        "days": {"created": 760, "submitted": 735, "decided": 720, "archived": 90},
        "review_in": None,
        "archive_note": (
            "The fax-back line has been switched off; forms are downloadable and mailed on "
            "request. Kept for the record."
        ),
    },
}

# (source, target, kind, note): the source entry links to the target.
LINKS = [
    (
        "mobile-payment-plan-setup",
        "riverton-app-before-mobile-web",
        EntryLink.Kind.ADAPTED_FROM,
        "Chose the mobile web over an app after reading Riverton's lesson.",
    ),
    (
        "state-city-contact-center-practice-exchange",
        "customer-experience-champion-network",
        EntryLink.Kind.BUILDS_ON,
        "The champion model, run across three agencies.",
    ),
    (
        "callback-scheduling-cuts-phone-wait-times",
        "post-transaction-satisfaction-survey",
        EntryLink.Kind.RELATED,
        "Phone satisfaction was measured with this survey.",
    ),
    (
        "state-city-contact-center-practice-exchange",
        "callback-scheduling-cuts-phone-wait-times",
        EntryLink.Kind.RELATED,
        "Riverton's callback rules traveled through the exchange.",
    ),
]

# (older entry, newer entry that replaces it, note)
SUPERSEDED = [
    (
        "plain-language-letter-checklist",
        "plain-language-notices-guide",
        "The guide covers the checklist and adds testing and legal review.",
    ),
]

COLLECTIONS = [
    {
        "slug": "getting-started-with-customer-experience",
        "title": "Getting started with customer experience",
        "intro": _md(
            """
            New to customer experience work, or starting it in a team that has never done it?
            Read these in order. They move from **people** (who does the work) to
            **measurement** (how you know it helped) to **quick wins** that customers notice.

            Every entry was written by public servants who did the work, and each names
            someone you can contact.
            """
        ),
        "items": [
            ("customer-experience-champion-network", "Start here: who will do the work."),
            ("post-transaction-satisfaction-survey", "Measure before you change anything."),
            ("plain-language-notices-guide", "A quick win most teams can start this week."),
            (
                "callback-scheduling-cuts-phone-wait-times",
                "What a measured improvement looks like.",
            ),
            ("state-city-contact-center-practice-exchange", "Once you have something to share."),
        ],
    },
    {
        "slug": "mobile-and-digital-services",
        "title": "Mobile and digital services",
        "intro": _md(
            """
            Most people now reach government on a phone first. These entries cover what
            worked, and what did not, when agencies moved services onto small screens.
            """
        ),
        "items": [
            ("riverton-app-before-mobile-web", "Why the mobile website comes before an app."),
            ("mobile-payment-plan-setup", "The same lesson, applied at a state agency."),
            ("callback-scheduling-cuts-phone-wait-times", "Web booking that shortens the queue."),
        ],
    },
]


@transaction.atomic
def load(*, stdout=None) -> dict:
    """Create the demo content that is missing; return counts and the demo accounts."""
    now = timezone.now()

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(f"{message}\n")

    agencies, new_agencies = _load_agencies()
    say(f"Agencies: {len(agencies)} ({new_agencies} new)")
    users, accounts = _load_users(agencies)
    say(f"Users: {len(users)} ({sum(a['created'] for a in accounts)} new)")
    loaded, created = _load_entries(users, now)
    say(f"Entries: {len(loaded)} ({len(created)} new)")
    _feature_and_supersede(loaded, created, users[MODERATOR], now)
    for source, target, kind, note in LINKS:
        EntryLink.objects.get_or_create(
            source=loaded[source],
            target=loaded[target],
            kind=kind,
            defaults={"note": note, "created_by": users[MODERATOR]},
        )
    new_collections = _load_collections(loaded, users[MODERATOR])
    say(f"Collections: {len(COLLECTIONS)} ({new_collections} new)")
    return {
        "agencies": len(agencies),
        "users": len(users),
        "entries": len(loaded),
        "published": sum(e.state == State.PUBLISHED for e in loaded.values()),
        "collections": len(COLLECTIONS),
        "created": {
            "agencies": new_agencies,
            "users": sum(a["created"] for a in accounts),
            "entries": len(created),
            "collections": new_collections,
        },
        "accounts": accounts,
    }


def _load_agencies() -> tuple[dict[str, Agency], int]:
    agencies, new = {}, 0
    for spec in AGENCIES:
        # An agency of the same name may exist under another slug (e.g. imported): reuse it.
        agency = (
            Agency.objects.filter(slug=spec["slug"]).first()
            or Agency.objects.filter(name=spec["name"]).first()
        )
        if agency is None:
            parent = agencies[spec["parent"]] if spec.get("parent") else None
            agency = Agency.objects.create(
                slug=spec["slug"],
                name=spec["name"],
                acronym=spec["acronym"],
                level=spec["level"],
                parent=parent,
            )
            new += 1
        agencies[spec["slug"]] = agency
    return agencies, new


def _load_users(agencies: dict[str, Agency]) -> tuple[dict[str, User], list[dict]]:
    """Create the demo accounts. Existing accounts keep their password and rights."""
    moderators = Group.objects.get_or_create(name=MODERATORS_GROUP)[0]
    users, accounts = {}, []
    for spec in USERS:
        agency = agencies[spec["agency"]]
        user, created = User.objects.get_or_create(
            username=spec["username"],
            defaults={
                "first_name": spec["first_name"],
                "last_name": spec["last_name"],
                "email": f"{spec['username']}@example.gov",
                "is_staff": spec["role"] == "admin",
                "is_superuser": spec["role"] == "admin",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            if spec["role"] == "moderator":
                user.groups.add(moderators)
        Profile.objects.get_or_create(
            user=user, defaults={"agency": agency, "job_title": spec["job_title"]}
        )
        users[spec["username"]] = user
        accounts.append(
            {
                "username": user.username,
                "password": DEMO_PASSWORD,
                "role": spec["role"],
                "agency": agency.name,
                "created": created,
            }
        )
    return users, accounts


def _load_entries(users, now) -> tuple[dict[str, Entry], set[str]]:
    loaded, created = {}, set()
    for data in importing.read_entries(ENTRIES_FILE):
        slug = data["slug"]
        entry = Entry.objects.filter(slug=slug).first()
        if entry is None:
            entry = _create_entry(data, WORKFLOW[slug], users=users, now=now)
            created.add(slug)
        loaded[slug] = entry
    return loaded, created


def _create_entry(data: dict, flow: dict, *, users, now) -> Entry:
    """Write the entry as its first author would, then walk it through its workflow."""
    review_in = flow["review_in"]
    people = {
        "authors": [users[name] for name in flow["authors"]],
        "contact": users[flow["contact"]],
        "review_by": None if review_in is None else now.date() + timedelta(days=review_in),
    }
    entry = entries.create(by=users[flow["authors"][0]], data={**data, **people})
    created_at = now - timedelta(days=flow["days"]["created"])
    Entry.objects.filter(pk=entry.pk).update(created_at=created_at)
    Transition.objects.filter(entry=entry, action="create").update(at=created_at)
    _run_workflow(entry, flow, users=users, now=now)
    return entry


def _backdate(step: Transition, when) -> None:
    Transition.objects.filter(pk=step.pk).update(at=when)


def _run_workflow(entry: Entry, flow: dict, *, users, now) -> None:
    """Walk the entry through review to its demo state, as its authors and reviewer would."""
    author = users[flow["authors"][0]]
    reviewer = users[flow.get("reviewer", MODERATOR)]
    target = flow["state"]

    def at(key: str):
        return now - timedelta(days=flow["days"][key])

    if target == State.DRAFT:
        return
    _backdate(
        moderation.submit(entry, by=author, note=flow.get("submit_note", "")), at("submitted")
    )
    entry.submitted_at = at("submitted")
    Entry.objects.filter(pk=entry.pk).update(submitted_at=entry.submitted_at)
    if target == State.SUBMITTED:
        return
    note = flow.get("review_note", "")
    if target == State.CHANGES_REQUESTED:
        step = moderation.request_changes(entry, by=reviewer, note=note)
    elif target == State.REJECTED:
        step = moderation.reject(entry, by=reviewer, note=note)
    else:
        entry.published_at = at("decided")  # approve() keeps a date that is set
        step = moderation.approve(entry, by=reviewer, note=note)
    _backdate(step, at("decided"))
    if target == State.ARCHIVED:
        step = moderation.archive(entry, by=reviewer, note=flow["archive_note"])
        _backdate(step, at("archived"))


def _feature_and_supersede(loaded: dict[str, Entry], created: set[str], moderator, now) -> None:
    """Only for entries created in this run, so a second run adds no transitions."""
    for slug, flow in WORKFLOW.items():
        if slug in created and flow.get("featured_order"):
            entry = loaded[slug]
            step = moderation.feature(entry, by=moderator, order=flow["featured_order"])
            _backdate(step, min(entry.published_at + timedelta(days=2), now))
    for old, new, note in SUPERSEDED:
        if old in created and loaded[new].state == State.PUBLISHED:
            step = moderation.mark_superseded(
                loaded[old], by=moderator, successor=loaded[new], note=note
            )
            _backdate(step, min(loaded[new].published_at + timedelta(days=1), now))


def _load_collections(entries: dict[str, Entry], moderator) -> int:
    new = 0
    for spec in COLLECTIONS:
        collection, created = Collection.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "intro": spec["intro"],
                "show_on_home": True,
                "created_by": moderator,
            },
        )
        new += created
        for order, (slug, note) in enumerate(spec["items"], start=1):
            CollectionItem.objects.get_or_create(
                collection=collection,
                entry=entries[slug],
                defaults={"order": order, "note": note},
            )
    return new
