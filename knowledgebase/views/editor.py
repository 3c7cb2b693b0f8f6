"""The endpoints behind the entry editor: live preview, image upload and "similar entries
already exist".

All are for contributors only; the preview uses the one sanitizing renderer."""

import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse, JsonResponse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST
from PIL import Image, UnidentifiedImageError

from knowledgebase import links, permissions, search
from knowledgebase.models import Entry

# Raster formats only: SVG can carry script, so it is never accepted.
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
MAX_PIXELS = 40_000_000
# Below this many characters of title and summary, anything "similar" would be noise.
SIMILAR_MIN_CHARS = 8


@require_POST
def markdownify(request):
    if not permissions.can_create(request.user):
        return HttpResponse("Sign in to preview.", status=403, content_type="text/plain")
    return HttpResponse(links.render(request.POST.get("content", "")))


def _too_large() -> str:
    limit = settings.MARKDOWNX_UPLOAD_MAX_SIZE / (1024 * 1024)
    return f"The image is larger than {limit:g} MB."


def check_image(data: bytes) -> str:
    """The file extension for a real PNG/JPEG/GIF/WebP image, judged by its content.

    Raises ValueError with a message for the author otherwise."""
    if len(data) > settings.MARKDOWNX_UPLOAD_MAX_SIZE:
        raise ValueError(_too_large())
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValueError("This file is not an image we accept (PNG, JPEG, GIF or WebP).") from None
    if kind not in IMAGE_FORMATS:
        raise ValueError("Only PNG, JPEG, GIF and WebP images are accepted.")
    if width * height > MAX_PIXELS:
        raise ValueError("The image has too many pixels.")
    return IMAGE_FORMATS[kind]


@require_POST
def upload_image(request):
    if not permissions.can_create(request.user):
        return JsonResponse({"image": ["Sign in to upload images."]}, status=403)
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"image": ["Choose an image to upload."]}, status=400)
    if upload.size > settings.MARKDOWNX_UPLOAD_MAX_SIZE:
        return JsonResponse({"image": [_too_large()]}, status=400)
    data = upload.read()
    try:
        extension = check_image(data)
    except ValueError as error:
        return JsonResponse({"image": [str(error)]}, status=400)
    name = default_storage.save(
        f"{settings.MARKDOWNX_MEDIA_PATH}{uuid.uuid4().hex}.{extension}", ContentFile(data)
    )
    return JsonResponse({"image_code": f"![]({default_storage.url(name)})"})


@require_GET
def similar_entries(request):
    """Published entries like the one being written, so its authors can link to or improve
    them instead of writing a duplicate."""
    if not permissions.can_create(request.user):
        return JsonResponse({"error": "Sign in to look for similar entries."}, status=403)
    text = "\n".join(
        part
        for part in (
            request.GET.get("title", "").strip()[:300],
            request.GET.get("summary", "").strip()[:1000],
        )
        if part
    )
    by_meaning = search.meaning.unavailable() is None
    if len(text) < SIMILAR_MIN_CHARS:
        return JsonResponse({"results": [], "by_meaning": by_meaning})
    exclude_id = None
    if exclude := request.GET.get("exclude", "").strip():
        # The entry being edited is most like itself.
        exclude_id = Entry.objects.filter(slug=exclude).values_list("pk", flat=True).first()
    found = search.similar_entries(text, request.user, exclude=exclude_id)
    if found:
        # Without the model (or when it failed) the answer is the best word matches.
        by_meaning = hasattr(found[0], "similarity")
    return JsonResponse(
        {
            "results": [
                {
                    "title": entry.title,
                    "url": entry.get_absolute_url(),
                    "kind": entry.get_kind_display(),
                    "agency": entry.lead_agency.name if entry.lead_agency else None,
                    "summary": Truncator(entry.summary).chars(160),
                }
                for entry in found
            ],
            "by_meaning": by_meaning,
        }
    )
