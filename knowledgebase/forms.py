from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from markdownx.widgets import MarkdownxWidget
from taggit.models import Tag

from knowledgebase import topics
from knowledgebase.models import (
    Adoption,
    AdoptionMetric,
    Collection,
    CollectionItem,
    Entry,
    EntryLink,
    OutcomeMetric,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A text box, not type="number": a number box silently sends nothing for "3,5" or "14 min",
# where a text box lets the form say what to fix. inputmode still brings up a number pad.
NUMBER_INPUT = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

# Error messages say what to fix, in the words of the form (GOV.UK and USWDS style: no
# "This field is required."). Rules that live in the models keep the models' messages.


def too_long(what: str) -> str:
    return f"Shorten {what} to %(limit_value)d characters or fewer (it has %(show_value)d)"


def choose_from_list(what: str) -> dict[str, str]:
    message = f"Choose {what} from the list"
    return {"invalid_choice": message, "invalid_pk_value": message, "invalid_list": message}


def number_messages(what: str) -> dict[str, str]:
    return {
        "invalid": f"Enter the {what} as a number, like 14 or 3.5",
        "max_digits": f"Enter a {what} of at most 16 digits",
        "max_whole_digits": f"Enter a {what} of at most 14 digits before the decimal point",
        "max_decimal_places": f"Enter the {what} with at most 2 decimal places, like 3.75",
    }


class PickerSelectMultiple(forms.SelectMultiple):
    """A multi-select that kb.js turns into a type-ahead picker (it stays a plain
    multi-select without JavaScript). Agencies also match on their acronym: people type
    "VA" more often than "Department of Veterans Affairs"."""

    def __init__(self, attrs=None, choices=()):
        super().__init__({"data-picker": True, **(attrs or {})}, choices)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        acronym = getattr(getattr(value, "instance", None), "acronym", "")
        if acronym:
            option["attrs"]["data-match"] = acronym
        return option


def person_label(user: User) -> str:
    name = user.get_full_name() or user.username
    agency = getattr(getattr(user, "profile", None), "agency", None)
    return f"{name} ({agency.short_name})" if agency else name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


def staff_users():
    return (
        User.objects.filter(is_active=True, profile__agency__isnull=False)
        .select_related("profile__agency")
        .order_by("first_name", "last_name", "username")
    )


class EntryForm(forms.ModelForm):
    authors = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Co-authors",
        help_text="People who can edit this entry with you. You are always an author.",
        widget=PickerSelectMultiple,
        error_messages=choose_from_list("co-authors"),
    )
    contact = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Contact",
        help_text="The champion or expert other teams can ask about this practice.",
        error_messages=choose_from_list("the contact"),
    )

    class Meta:
        model = Entry
        # In the order of the editor's page, which the error summary follows.
        fields = [
            "kind",
            "title",
            "slug",
            "summary",
            "body",
            "lead_agency",
            "contributing_agencies",
            "authors",
            "contact",
            "tags",
            "audience",
            "started",
            "completed",
            "cost_band",
            "practice_status",
            "channels",
            "visibility",
            "review_by",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
            "body": MarkdownxWidget(attrs={"rows": 22}),
            "contributing_agencies": PickerSelectMultiple(attrs={"size": 6}),
            "channels": forms.CheckboxSelectMultiple,
            "visibility": forms.RadioSelect,
            "started": DATE_INPUT,
            "completed": DATE_INPUT,
            "review_by": DATE_INPUT,
        }
        labels = {"body": "Body (markdown)", "lead_agency": "Lead agency", "slug": "Address"}
        help_texts = {
            "slug": "The last part of the entry's web address. If you change it, the old "
            "address and wiki links to it keep working.",
            "body": "Markdown. The preview beside the editor shows how it will look. Tab moves "
            "to the next field; Ctrl+] indents a line and Ctrl+[ unindents it.",
            "visibility": "Government-only entries are shown to signed-in public servants only.",
        }
        error_messages = {
            "kind": {"required": "Choose the kind of entry", **choose_from_list("the kind")},
            "title": {"required": "Enter a title", "max_length": too_long("the title")},
            "slug": {
                "invalid": "Enter an address of letters, numbers and hyphens only, "
                "like text-back-queues",
                "max_length": too_long("the address"),
                "unique": "Another entry has this address; choose another",
            },
            "summary": {
                "required": "Enter a summary of what was done and what changed",
                "max_length": too_long("the summary"),
            },
            "lead_agency": choose_from_list("the lead agency"),
            "contributing_agencies": choose_from_list("contributing agencies"),
            "audience": choose_from_list("the audience"),
            "channels": choose_from_list("channels"),
            "started": {"invalid": "Enter the start date as a date, like 2024-03-31"},
            "completed": {"invalid": "Enter the end date as a date, like 2024-09-30"},
            "cost_band": choose_from_list("the cost"),
            "practice_status": choose_from_list("the status of the practice"),
            "visibility": {
                "required": "Choose who can read the entry",
                **choose_from_list("who can read the entry"),
            },
            "review_by": {"invalid": "Enter the review date as a date, like 2026-01-31"},
        }

    change_summary = forms.CharField(
        label="Summary of your change",
        max_length=300,
        required=False,
        help_text="Optional. Shown in the entry's history, e.g. “Added the 2025 results”.",
        error_messages={"max_length": too_long("the summary of your change")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["slug"]  # a new entry's address is made from its title
            del self.fields["change_summary"]
        else:
            self.fields["slug"].required = False  # left empty: the address stays as it is
        people = staff_users()
        self.fields["authors"].queryset = people
        self.fields["contact"].queryset = people
        self.fields["title"].widget.attrs["autocomplete"] = "off"
        for name in ("audience", "cost_band", "practice_status"):
            self.fields[name].choices = [("", "Not stated")] + [
                choice for choice in self.fields[name].choices if choice[0]
            ]
        # How to choose several in a plain multi-select is said by includes/_field.html,
        # for the page without JavaScript only: kb.js turns these into type-ahead pickers.
        self.fields["contributing_agencies"].help_text = "Other agencies that worked on it."

    def clean_slug(self) -> str:
        # Left empty: the address stays as it is. The rules for addresses are the model's.
        return self.cleaned_data["slug"] or self.instance.slug


class OutcomeMetricForm(forms.ModelForm):
    class Meta:
        model = OutcomeMetric
        fields = ["measure", "baseline", "result", "unit", "period", "source"]
        widgets = {
            "measure": forms.TextInput(attrs={"placeholder": "e.g. Average wait on the phone"}),
            "unit": forms.TextInput(attrs={"placeholder": "minutes"}),
            "period": forms.TextInput(attrs={"placeholder": "FY2024"}),
            "baseline": NUMBER_INPUT,
            "result": NUMBER_INPUT,
        }
        error_messages = {
            "measure": {
                "required": "Enter what was measured",
                "max_length": too_long("what was measured"),
            },
            "baseline": number_messages("baseline"),
            "result": number_messages("result"),
            "unit": {"max_length": too_long("the unit")},
            "period": {"max_length": too_long("the period")},
            "source": {"max_length": too_long("the source")},
        }


# can_delete_extra=False: only saved rows offer "Delete"; a new row left empty is ignored
# on save, and one filled in by mistake is emptied again.
OutcomeMetricFormSet = forms.inlineformset_factory(
    Entry,
    OutcomeMetric,
    form=OutcomeMetricForm,
    extra=1,
    max_num=20,
    can_delete=True,
    can_delete_extra=False,
)


class AdoptionForm(forms.ModelForm):
    class Meta:
        model = Adoption
        fields = ["status", "since", "outcome"]
        widgets = {
            "status": forms.RadioSelect,
            "since": DATE_INPUT,
            "outcome": forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        }
        labels = {"status": "Your agency…", "since": "Since", "outcome": "How it went"}
        help_texts = {"outcome": "What changed for you, what you adapted, why you stopped."}


class AdoptionMetricForm(OutcomeMetricForm):
    class Meta(OutcomeMetricForm.Meta):
        model = AdoptionMetric


AdoptionMetricFormSet = forms.inlineformset_factory(
    Adoption,
    AdoptionMetric,
    form=AdoptionMetricForm,
    extra=1,
    max_num=10,
    can_delete=True,
    can_delete_extra=False,
)


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        label="Note to the authors",
    )


class FeatureForm(forms.Form):
    order = forms.IntegerField(min_value=0, max_value=1000, initial=0, label="Position")


class SupersedeForm(forms.Form):
    successor = forms.SlugField(label="Superseded by (slug of the newer entry)", max_length=100)
    note = forms.CharField(required=False, max_length=300)

    def clean_successor(self) -> Entry:
        slug = self.cleaned_data["successor"]
        entry = Entry.objects.published().filter(slug=slug).first()
        if entry is None:
            raise forms.ValidationError(f"No published entry has the slug “{slug}”.")
        return entry


class TopicRenameForm(forms.Form):
    name = forms.CharField(
        label="New name",
        max_length=100,
        error_messages={
            "required": "Enter the topic's new name",
            "max_length": too_long("the name"),
        },
    )


class TopicMergeForm(forms.Form):
    into = forms.CharField(
        label="Merge into",
        max_length=100,
        widget=forms.TextInput(attrs={"list": "topic-names", "autocomplete": "off"}),
        error_messages={"required": "Enter the name of the topic to merge into"},
    )

    def clean_into(self) -> Tag:
        text = self.cleaned_data["into"]
        tag = topics.find(text)
        if tag is None:
            raise forms.ValidationError(
                f"There is no topic “{text}”. Enter the name or slug of an existing topic"
            )
        return tag


class CollectionForm(forms.ModelForm):
    class Meta:
        model = Collection
        fields = ["title", "intro", "show_on_home"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 4})}
        labels = {"show_on_home": "Show on the home page"}
        error_messages = {
            "title": {
                "required": "Enter a title for the collection",
                "max_length": too_long("the title"),
            },
        }


class CollectionItemForm(forms.ModelForm):
    entry = forms.ModelChoiceField(
        queryset=Entry.objects.published().order_by("title"),
        error_messages={"required": "Choose the entry", **choose_from_list("a published entry")},
    )

    class Meta:
        model = CollectionItem
        fields = ["entry", "order", "note"]
        error_messages = {
            "order": {
                "invalid": "Enter the position as a whole number, like 1",
                "min_value": "Enter a position of 0 or more",
            },
            "note": {"max_length": too_long("the note")},
        }


CollectionItemFormSet = forms.inlineformset_factory(
    Collection,
    CollectionItem,
    form=CollectionItemForm,
    extra=3,
    can_delete=True,
    can_delete_extra=False,
)


class LinkForm(forms.Form):
    """A typed link from one entry to another, the target typed as a title or a slug."""

    target = forms.CharField(
        label="Entry to link to",
        max_length=300,
        help_text="Start typing its title, or paste its address.",
    )
    kind = forms.ChoiceField(label="This entry…", choices=EntryLink.Kind.choices)
    note = forms.CharField(label="Note (optional)", max_length=300, required=False)

    def __init__(self, *args, source: Entry, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.user = user

    def clean_target(self) -> Entry:
        text = self.cleaned_data["target"].strip()
        # A pasted address: the slug is its last path segment.
        slug = text.rstrip("/").rsplit("/", 1)[-1]
        visible = Entry.objects.visible_to(self.user).exclude(pk=self.source.pk)
        found = visible.filter(slug=slug).first()
        if found is None:
            matches = list(visible.filter(title__iexact=text)[:2])
            if len(matches) > 1:
                raise forms.ValidationError(
                    "Several entries have this title; paste the address of the one you mean."
                )
            found = matches[0] if matches else None
        if found is None:
            raise forms.ValidationError(f"No published entry is called “{text}”.")
        return found


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
        help_text="Markdown. Be kind and specific: what worked for you, what did not.",
    )


class HideCommentForm(forms.Form):
    reason = forms.CharField(label="Why hide it", max_length=300)


class AskContactForm(forms.Form):
    question = forms.CharField(
        label="Your question",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        help_text="Sent by email to the contact, with your address to reply to.",
    )


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with messages that say what to fix."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"
