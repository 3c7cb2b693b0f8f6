from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db import models

from knowledgebase.models import (
    Agency,
    Channel,
    Collection,
    CollectionItem,
    Entry,
    EntryLink,
    OldSlug,
    OutcomeMetric,
    Profile,
    SearchLog,
    Transition,
)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "acronym"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    autocomplete_fields = ["agency"]


admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "agency", "is_superuser"]
    list_select_related = ["profile__agency"]

    @admin.display(ordering="profile__agency__name")
    def agency(self, user):
        profile = getattr(user, "profile", None)
        return profile.agency if profile else None


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]


class OutcomeMetricInline(admin.TabularInline):
    model = OutcomeMetric
    extra = 0


class LinkInline(admin.TabularInline):
    model = EntryLink
    fk_name = "source"
    extra = 0
    autocomplete_fields = ["target"]


class OldSlugInline(admin.TabularInline):
    model = OldSlug
    extra = 0
    fields = ["slug", "created_at"]


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_state", "to_state", "by", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "state",
        "visibility",
        "lead_agency",
        "featured",
        "published_at",
    ]
    list_filter = ["state", "kind", "visibility", "featured", "audience"]
    search_fields = ["title", "slug", "summary"]
    list_select_related = ["lead_agency"]
    autocomplete_fields = [
        "lead_agency",
        "contributing_agencies",
        "authors",
        "contact",
        "superseded_by",
        "created_by",
    ]
    filter_horizontal = ["channels"]
    date_hierarchy = "published_at"
    inlines = [OutcomeMetricInline, LinkInline, OldSlugInline, TransitionInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    # Read-only here: content is written through the site's editor (entries.py: versions,
    # revisions, wiki links, the index) and the workflow through the moderation pages (so it
    # is logged). A superuser may edit any entry there.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ["entry", "action", "from_state", "to_state", "by", "at"]
    list_filter = ["action", "to_state"]
    list_select_related = ["entry", "by"]
    readonly_fields = ["entry", "from_state", "to_state", "action", "by", "note", "at", "snapshot"]

    def has_add_permission(self, request):
        return False


@admin.register(EntryLink)
class EntryLinkAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "target", "created_at"]
    list_filter = ["kind"]
    autocomplete_fields = ["source", "target"]
    list_select_related = ["source", "target"]


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    extra = 1
    autocomplete_fields = ["entry"]


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["title", "show_on_home", "updated_at"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CollectionItemInline]


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):
    """Read-only: the log is what searches recorded, summed up on the knowledge gaps page."""

    list_display = [
        "query",
        "result_count",
        "source",
        "agency",
        "signed_in",
        "clicked",
        "created_at",
    ]
    list_filter = ["source", "signed_in", "clicked"]
    search_fields = ["query"]
    list_select_related = ["agency"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
