"""The JSON API: search, and entries to read and write under the same rules as the pages.

Session authentication only (a signed-in browser; DRF enforces CSRF on every unsafe
request). Every view asks permissions.py, and every change of state goes through
moderation.py, exactly like the HTML views. Things a user may not see answer 404, so that
drafts and government-only entries do not reveal that they exist."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import api_view, authentication_classes
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from knowledgebase import analytics, entries, moderation, permissions, search
from knowledgebase.forms import staff_users
from knowledgebase.models import Agency, Channel, Entry, EntryLink, Transition

MAX_QUERY = 500
# Deeper than this nobody reads search results, and it bounds what a crafted page number
# costs the index (it ranks page × 20 hits).
MAX_SEARCH_PAGE = 1000
# The API's facet names where they differ from search.FACETS (DESIGN.md says "tags").
FACET_NAMES = {"tag": "tags"}


def api(*methods: str):
    """@api_view with session authentication only (no basic auth: no passwords in requests)."""

    def wrap(view):
        return api_view(methods)(authentication_classes([SessionAuthentication])(view))

    return wrap


def _absolute_url(serializer, entry: Entry) -> str:
    return serializer.context["request"].build_absolute_uri(entry.get_absolute_url())


# --- query parameters -----------------------------------------------------------------------


class FiltersSerializer(serializers.Serializer):
    """The facet filters; values are the raw keys the facets report. Empty means no filter."""

    kind = serializers.ChoiceField(choices=Entry.Kind.choices, required=False, allow_blank=True)
    agency = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Agency slug (lead or contributing).",
    )
    tag = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Tag slug."
    )
    audience = serializers.ChoiceField(
        choices=Entry.Audience.choices, required=False, allow_blank=True
    )
    channel = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="Channel slug, e.g. web."
    )
    year = serializers.IntegerField(
        required=False, min_value=1900, max_value=9999, help_text="Year of publication."
    )
    page = serializers.IntegerField(required=False, default=1, min_value=1)

    def filters(self) -> dict[str, str]:
        data = self.validated_data
        return {name: str(data[name]) for name in search.FACETS if data.get(name) not in (None, "")}


class SearchQuerySerializer(FiltersSerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_QUERY,
        help_text='Words; "quoted phrases", -excluded, tag:/agency:/kind: prefixes. '
        "Empty: browse everything visible, newest first.",
    )
    sort = serializers.ChoiceField(choices=search.SORTS, required=False, default="relevance")
    mode = serializers.ChoiceField(
        choices=search.MODES,
        required=False,
        help_text="hybrid: words and meaning fused (the default where search by meaning is "
        "installed); words: the words only; meaning: closeness in meaning only. Where "
        "meaning is unavailable every mode answers by words (see `mode` in the answer).",
    )
    page = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=MAX_SEARCH_PAGE
    )
    correct = serializers.BooleanField(
        required=False,
        default=True,
        help_text="false: search the words as typed, without correcting typos.",
    )


class EntryListQuerySerializer(FiltersSerializer):
    mine = serializers.BooleanField(
        required=False,
        default=False,
        help_text="1: the entries you (co-)author, in every state (drafts too), newest "
        "change first. Staff only.",
    )


# --- search ---------------------------------------------------------------------------------


class SearchResultSerializer(serializers.Serializer):
    slug = serializers.CharField(source="entry.slug")
    title = serializers.CharField(source="entry.title")
    kind = serializers.CharField(source="entry.kind")
    agency = serializers.CharField(
        source="entry.lead_agency.name", allow_null=True, help_text="Lead agency name."
    )
    tags = serializers.SerializerMethodField(help_text="Tag names.")
    summary = serializers.CharField(source="entry.summary")
    score = serializers.FloatField()
    highlight = serializers.CharField(help_text="HTML: the matched words in <mark>, escaped.")
    url = serializers.SerializerMethodField(help_text="Absolute URL of the entry page.")

    def get_tags(self, hit) -> list[str]:
        return sorted(tag.name for tag in hit.entry.topics)

    def get_url(self, hit) -> str:
        return _absolute_url(self, hit.entry)


class FacetsSerializer(serializers.Serializer):
    """Per facet: {raw filter value: number of matching entries}."""

    kind = serializers.DictField(child=serializers.IntegerField())
    agency = serializers.DictField(child=serializers.IntegerField())
    tags = serializers.DictField(child=serializers.IntegerField())
    audience = serializers.DictField(child=serializers.IntegerField())
    channel = serializers.DictField(child=serializers.IntegerField())
    year = serializers.DictField(child=serializers.IntegerField())


class SearchPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    results = SearchResultSerializer(source="hits", many=True)
    facets = serializers.SerializerMethodField()
    suggestion = serializers.CharField(allow_null=True, help_text="Did you mean …?")
    corrected = serializers.BooleanField(
        help_text="True when typos were corrected: the results are for `suggestion`; "
        "ask again with correct=false for the words as typed."
    )
    degraded = serializers.BooleanField(
        help_text="True when the index could not answer and results may be incomplete."
    )
    mode = serializers.CharField(help_text="How the results were found: hybrid, words, meaning.")

    @extend_schema_field(FacetsSerializer)
    def get_facets(self, result) -> dict:
        return {FACET_NAMES.get(name, name): result.facets.get(name, {}) for name in search.FACETS}


@extend_schema(
    parameters=[SearchQuerySerializer],
    responses={200: SearchPageSerializer, 400: OpenApiResponse(description="Bad parameters.")},
    summary="Search entries",
    operation_id="search",
)
@api("GET")
def search_entries(request):
    """Ranked entries the user may read, with facet counts and a did-you-mean.

    Without words and filters this browses every visible entry, newest first (what a
    user clearing the box expects, rather than nothing). Pages hold 20 results; a page
    past the last one is empty. Anonymous users see public entries only, and nothing when
    public read is off; staff also see government-only ones."""
    params = SearchQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    query = params.validated_data["q"]
    filters = params.filters()
    page = params.validated_data["page"]
    result = search.search(
        query,
        filters,
        request.user,
        page=page,
        sort=params.validated_data["sort"],
        mode=params.validated_data.get("mode"),
        correct=params.validated_data["correct"],
    )
    if page == 1:
        analytics.log_search(
            query=query, filters=filters, count=result.count, user=request.user, source="api"
        )
    return Response(SearchPageSerializer(result, context={"request": request}).data)


# --- entries: reading -----------------------------------------------------------------------


class AgencyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["name", "slug"]


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")


class OutcomeSerializer(serializers.Serializer):
    measure = serializers.CharField()
    baseline = serializers.FloatField(allow_null=True)
    result = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    period = serializers.CharField()
    source = serializers.CharField()
    change_percent = serializers.FloatField(allow_null=True)
    change_points = serializers.FloatField(
        allow_null=True,
        help_text="For a percentage: the difference in percentage points; else null.",
    )


class LinkSerializer(serializers.Serializer):
    kind = serializers.CharField()
    target = serializers.CharField(source="target.slug")
    title = serializers.CharField(source="target.title")
    note = serializers.CharField()


class BacklinkSerializer(serializers.Serializer):
    kind = serializers.CharField()
    source = serializers.CharField(source="source.slug")
    title = serializers.CharField(source="source.title")
    note = serializers.CharField()


class TransitionSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    by = serializers.CharField(source="by.username", allow_null=True)
    note = serializers.CharField()
    at = serializers.DateTimeField()


class EntrySummarySerializer(serializers.ModelSerializer):
    agency = serializers.CharField(
        source="lead_agency.name", allow_null=True, help_text="Lead agency name."
    )
    tags = serializers.SerializerMethodField(help_text="Tag names.")
    url = serializers.SerializerMethodField(help_text="Absolute URL of the entry page.")

    class Meta:
        model = Entry
        fields = [
            "slug",
            "title",
            "kind",
            "state",
            "visibility",
            "summary",
            "agency",
            "tags",
            "published_at",
            "updated_at",
            "url",
        ]

    def get_tags(self, entry) -> list[str]:
        return sorted(tag.name for tag in entry.topics)

    def get_url(self, entry) -> str:
        return _absolute_url(self, entry)


class EntryDetailSerializer(EntrySummarySerializer):
    lead_agency = AgencyRefSerializer(allow_null=True)
    contributing_agencies = AgencyRefSerializer(many=True)
    authors = PersonSerializer(many=True)
    contact = PersonSerializer(allow_null=True)
    channels = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    outcomes = OutcomeSerializer(many=True)
    links = serializers.SerializerMethodField(help_text="Links to entries you may read.")
    backlinks = serializers.SerializerMethodField(help_text="Links from entries you may read.")
    superseded_by = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField(
        help_text="The workflow log with review notes; authors and moderators only, else null."
    )

    class Meta:
        model = Entry
        fields = [
            *EntrySummarySerializer.Meta.fields,
            "body",
            "body_html",
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
            "review_by",
            "featured",
            "superseded_by",
            "source_url",
            "license",
            "outcomes",
            "links",
            "backlinks",
            "history",
            "created_at",
            "submitted_at",
        ]

    @property
    def _user(self):
        return self.context["request"].user

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, entry):
        links = (
            EntryLink.objects.filter(source=entry, target__in=Entry.objects.visible_to(self._user))
            .select_related("target")
            .order_by("kind", "target__title")
        )
        return LinkSerializer(links, many=True).data

    @extend_schema_field(BacklinkSerializer(many=True))
    def get_backlinks(self, entry):
        links = (
            EntryLink.objects.filter(target=entry, source__in=Entry.objects.visible_to(self._user))
            .select_related("source")
            .order_by("kind", "source__title")
        )
        return BacklinkSerializer(links, many=True).data

    def get_superseded_by(self, entry) -> str | None:
        successor = entry.superseded_by
        if successor is None or not permissions.can_view(self._user, successor):
            return None
        return successor.slug

    @extend_schema_field(TransitionSerializer(many=True, allow_null=True))
    def get_history(self, entry):
        if not permissions.can_see_history(self._user, entry):
            return None
        steps = Transition.objects.filter(entry=entry).select_related("by").order_by("at", "id")
        return TransitionSerializer(steps, many=True).data


class EntryPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EntrySummarySerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _detail_queryset():
    return Entry.objects.select_related("lead_agency", "contact", "superseded_by").prefetch_related(
        "tags", "channels", "outcomes", "contributing_agencies", "authors"
    )


def _entry_for(request, slug: str) -> Entry:
    """The entry if the user may read it; 404 otherwise (also for anonymous users, so that
    a government-only slug does not reveal that it exists)."""
    entry = _detail_queryset().filter(slug=slug).first()
    if entry is None or not permissions.can_view(request.user, entry):
        raise NotFound("No such entry.")
    return entry


def _version(entry: Entry) -> str:
    """ETag of an entry's current version, for If-Match on PATCH."""
    return f'"{entry.version}"'


def _detail(request, entry: Entry, code: int = status.HTTP_200_OK) -> Response:
    entry = _detail_queryset().get(pk=entry.pk)  # fresh: m2m caches may be stale after a write
    data = EntryDetailSerializer(entry, context={"request": request}).data
    response = Response(data, status=code)
    response["ETag"] = _version(entry)
    if code == status.HTTP_201_CREATED:
        response["Location"] = data["url"]
    return response


# --- entries: writing -----------------------------------------------------------------------


class EntryWriteSerializer(serializers.ModelSerializer):
    """What contributors may set; the same limits as the editor's EntryForm."""

    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    lead_agency = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Agency.objects.all(),
        allow_null=True,
        required=False,
        help_text="Agency slug; defaults to your home agency on create.",
    )
    contributing_agencies = serializers.SlugRelatedField(
        slug_field="slug", queryset=Agency.objects.all(), many=True, required=False
    )
    channels = serializers.SlugRelatedField(
        slug_field="slug", queryset=Channel.objects.all(), many=True, required=False
    )
    authors = serializers.SlugRelatedField(
        slug_field="username",
        queryset=staff_users(),
        many=True,
        required=False,
        help_text="Usernames of co-authors. The creator is always an author.",
    )
    contact = serializers.SlugRelatedField(
        slug_field="username",
        queryset=staff_users(),
        allow_null=True,
        required=False,
        help_text="Username of the contact; defaults to you on create.",
    )

    class Meta:
        model = Entry
        fields = [
            "kind",
            "title",
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
        extra_kwargs = {"body": {"trim_whitespace": False}}

    def validate_tags(self, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(name.strip() for name in tags if name.strip()))


class EntryEditSerializer(EntryWriteSerializer):
    change_summary = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=300,
        help_text="Shown in the entry's history, e.g. “Added the 2025 results”.",
    )

    class Meta(EntryWriteSerializer.Meta):
        fields = [*EntryWriteSerializer.Meta.fields, "change_summary"]


def _written(write) -> Entry:
    """Run an entries.create/update call; the model's rules answer 400, field by field."""
    try:
        return write()
    except ValidationError as error:
        detail = error.message_dict if hasattr(error, "error_dict") else error.messages
        raise serializers.ValidationError(detail) from None


ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names each field's errors."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed (or CSRF token missing)."),
    404: OpenApiResponse(ErrorSerializer, description="No such entry, or not yours to see."),
}


@extend_schema(
    methods=["GET"],
    parameters=[EntryListQuerySerializer],
    responses={200: EntryPageSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    summary="List entries",
    description="Published entries you may read, newest first, filtered like the search; "
    "with mine=1 your own entries in every state, latest change first.",
    operation_id="entries_list",
)
@extend_schema(
    methods=["POST"],
    request=EntryWriteSerializer,
    responses={201: EntryDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    summary="Create a draft",
    description="Staff only. You become its author; the lead agency defaults to your home "
    "agency and the contact to you. Submit it for review with /submit/.",
    operation_id="entries_create",
)
@api("GET", "POST")
def entry_list(request):
    """GET: published entries the user may read, newest first (or, with mine=1, the user's
    own entries in every state), filtered like the search. POST: a new draft by a staff
    member, who becomes its author; submit it with /submit/."""
    if request.method == "POST":
        return _create_entry(request)
    params = EntryListQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    if params.validated_data["mine"]:
        if not permissions.is_staff_member(request.user):
            raise PermissionDenied("Only signed-in staff have entries of their own.")
        entries = Entry.objects.authored_by(request.user).order_by("-updated_at", "-pk")
    else:
        entries = Entry.objects.visible_to(request.user).order_by(
            F("published_at").desc(nulls_last=True), "-pk"
        )
    entries = entries.filtered(params.filters()).for_cards()
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(entries, request)
    data = EntrySummarySerializer(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


def _create_entry(request) -> Response:
    user = request.user
    if not permissions.can_create(user):
        raise PermissionDenied("Only signed-in staff with a home agency can write entries.")
    serializer = EntryWriteSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    entry = _written(lambda: entries.create(by=user, data=serializer.validated_data))
    return _detail(request, entry, status.HTTP_201_CREATED)


PRECONDITIONS = {
    412: OpenApiResponse(
        ErrorSerializer,
        description="Somebody saved the entry since the version in If-Match; the ETag "
        "header holds the current version: read it again and merge.",
    ),
    428: OpenApiResponse(ErrorSerializer, description="If-Match is missing."),
}
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version you read (GET), e.g. "7".',
)


def _edit_schema(method: str, **texts):
    """The OpenAPI description of an edit (PATCH or PUT): the same body and answers."""
    return extend_schema(
        methods=[method],
        request=EntryEditSerializer,
        parameters=[IF_MATCH],
        responses={200: EntryDetailSerializer, **ERRORS, **PRECONDITIONS},
        **texts,
    )


@extend_schema(
    methods=["GET"],
    responses={200: EntryDetailSerializer, 404: ERRORS[404]},
    summary="An entry",
    description="Every public field; 404 for entries you may not read.",
    operation_id="entries_retrieve",
)
@_edit_schema(
    "PATCH",
    summary="Edit some fields of an entry",
    description="Authors in editable states, moderators always. If-Match must hold the "
    "ETag you read: a newer save is never overwritten (412 instead).",
    operation_id="entries_partial_update",
)
@_edit_schema(
    "PUT",
    summary="Replace an entry's content",
    description="As PATCH, with every required field.",
    operation_id="entries_update",
)
@api("GET", "PATCH", "PUT")
def entry_detail(request, slug: str):
    """GET: every public field of the entry, 404 if the user may not read it.
    PATCH/PUT: change its content (authors in editable states, moderators always), from the
    version named by If-Match; 428 without it, 412 when somebody saved since."""
    entry = _entry_for(request, slug)
    if request.method == "GET":
        return _detail(request, entry)
    if refusal := permissions.edit_refusal(request.user, entry):
        raise PermissionDenied(refusal)
    if "If-Match" not in request.headers:
        return Response(
            {"detail": "Send If-Match with the ETag of the version you edited (from GET)."},
            status=status.HTTP_428_PRECONDITION_REQUIRED,
        )
    serializer = EntryEditSerializer(entry, data=request.data, partial=request.method == "PATCH")
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    summary = data.pop("change_summary", "")
    try:
        entry = _written(
            lambda: entries.update(
                entry,
                by=request.user,
                data=data,
                base_version=_base_version(request.headers["If-Match"]),
                summary=summary,
            )
        )
    except entries.EditConflict as conflict:
        response = Response(
            {"detail": "Somebody changed this entry since you read it; read it again and merge."},
            status=status.HTTP_412_PRECONDITION_FAILED,
        )
        response["ETag"] = _version(conflict.current)
        return response
    return _detail(request, entry)


def _base_version(if_match: str) -> int:
    """The version an If-Match header names: '"7"' is 7; anything else matches nothing
    (0), so it is answered 412 with the current ETag."""
    tag = if_match.strip()
    if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit():
        return int(tag[1:-1])
    return 0


# --- entries: workflow ----------------------------------------------------------------------


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, help_text="Why: shown to the authors.")


def _workflow_view(step, *, note: type[serializers.Serializer], summary: str, description: str):
    """A POST endpoint that takes one workflow step on the entry (see moderation.py)."""

    def view(request, slug: str):
        entry = _entry_for(request, slug)
        params = note(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            step(entry, by=request.user, note=params.validated_data["note"])
        except moderation.WorkflowError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return _detail(request, entry)

    view.__name__ = f"entry_{step.__name__}"
    conflict = OpenApiResponse(
        ErrorSerializer, description="The entry is not in a state that allows this step."
    )
    return extend_schema(
        request=note,
        responses={200: EntryDetailSerializer, **ERRORS, 409: conflict},
        summary=summary,
        description=description,
    )(api("POST")(view))


entry_submit = _workflow_view(
    moderation.submit,
    note=NoteSerializer,
    summary="Submit for review",
    description="Authors (or moderators) send a draft or a changed entry to the review queue.",
)
entry_withdraw = _workflow_view(
    moderation.withdraw,
    note=NoteSerializer,
    summary="Withdraw from review",
    description="Authors take a submitted entry back; it is a draft again.",
)
entry_approve = _workflow_view(
    moderation.approve,
    note=NoteSerializer,
    summary="Approve and publish",
    description="Moderators only.",
)
entry_request_changes = _workflow_view(
    moderation.request_changes,
    note=RequiredNoteSerializer,
    summary="Request changes",
    description="Moderators only; the note tells the authors what to change.",
)
entry_reject = _workflow_view(
    moderation.reject,
    note=RequiredNoteSerializer,
    summary="Reject",
    description="Moderators only; the note gives the reason.",
)
