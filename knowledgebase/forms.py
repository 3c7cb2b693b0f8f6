from django import forms
from django.contrib.auth.models import User
from markdownx.widgets import MarkdownxWidget

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
    )
    contact = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Contact",
        help_text="The champion or expert other teams can ask about this practice.",
    )

    class Meta:
        model = Entry
        fields = [
            "kind",
            "title",
            "slug",
            "summary",
            "body",
            "tags",
            "lead_agency",
            "contributing_agencies",
            "authors",
            "contact",
            "audience",
            "channels",
            "started",
            "completed",
            "cost_band",
            "practice_status",
            "visibility",
            "review_by",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
            "body": MarkdownxWidget(attrs={"rows": 22}),
            "contributing_agencies": forms.SelectMultiple(attrs={"size": 6}),
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

    change_summary = forms.CharField(
        label="Summary of your change",
        max_length=300,
        required=False,
        help_text="Optional. Shown in the entry's history, e.g. “Added the 2025 results”.",
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
        many = " Hold Ctrl (Cmd on a Mac) to choose several."
        self.fields["contributing_agencies"].help_text = "Other agencies that worked on it." + many
        self.fields["authors"].help_text += many

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
        }


OutcomeMetricFormSet = forms.inlineformset_factory(
    Entry, OutcomeMetric, form=OutcomeMetricForm, extra=1, max_num=20, can_delete=True
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
    Adoption, AdoptionMetric, form=AdoptionMetricForm, extra=1, max_num=10, can_delete=True
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


class CollectionForm(forms.ModelForm):
    class Meta:
        model = Collection
        fields = ["title", "intro", "show_on_home"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 4})}
        labels = {"show_on_home": "Show on the home page"}


class CollectionItemForm(forms.ModelForm):
    entry = forms.ModelChoiceField(queryset=Entry.objects.published().order_by("title"))

    class Meta:
        model = CollectionItem
        fields = ["entry", "order", "note"]


CollectionItemFormSet = forms.inlineformset_factory(
    Collection, CollectionItem, form=CollectionItemForm, extra=3, can_delete=True
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
