"""Starter outlines for the editor: a new entry starts from the questions its kind answers."""

OUTLINES = {
    "case-study": """## Context

Who was affected, what was not working, and why it mattered.

## What we did

The steps you took, who was involved (which agencies and teams), and how long it took.

## Results

What changed, in numbers where you can. Add the figures as outcome rows below, too.

## What we would do differently

## How to replicate

What another agency needs (people, budget, tools, approvals) to do the same.
""",
    "lesson-learned": """## What happened

## What we learned

## What we changed because of it

## Advice for other teams
""",
    "best-practice": """## The practice

## Why it works

Evidence: results, research or experience that shows it works.

## How to start

## Pitfalls to avoid
""",
    "guide": """## Who this guide is for

## Before you start

## Steps

1. First step
2. Next step
3. Last step

## Checklist

## Further reading
""",
}


def _prompts(outline: str) -> list[str]:
    """The lines of an outline that ask the author for something: all but its headings."""
    return [line for line in outline.splitlines() if line.strip() and not line.startswith("#")]


# Every kind's prompts: an author who changed the kind after starting keeps the old ones.
PROMPTS = tuple(
    dict.fromkeys(prompt for outline in OUTLINES.values() for prompt in _prompts(outline))
)


def unchanged_prompts(body: str) -> list[str]:
    """The outline prompts still in a body, in the order they appear there, once each.

    Headings may stay; the lines under them ask for an answer and must be replaced by it.
    A line counts when it is a prompt, spaces aside, or when it still holds a prompt
    sentence with the author's words added around it. A short list prompt ("1. First
    step") counts only on its own: "1. First step: we asked" is an answer."""
    found: dict[str, None] = {}
    for line in (body or "").splitlines():
        line = " ".join(line.split())
        for prompt in PROMPTS:
            if line == prompt or (prompt.endswith(".") and prompt in line):
                found.setdefault(prompt, None)
    return list(found)


def prompts_left_warning(body: str) -> str:
    """The editor's warning after a save while outline prompts remain ("" when none do)."""
    count = len(unchanged_prompts(body))
    if not count:
        return ""
    if count == 1:
        left = "1 prompt of the outline is still in the text: replace it"
    else:
        left = f"{count} prompts of the outline are still in the text: replace them"
    return f"{left} with what your team did before you submit."


def empty_sections(body: str) -> list[str]:
    """The headings of a body with nothing written under them, before the next heading
    of the same or a higher level. Some outlines (a lesson learned) are headings only:
    left untouched they hold no prompt, but they are still empty."""
    headings: list[tuple[int, str, bool]] = []  # level, text, has content
    fence = ""
    for line in (body or "").splitlines():
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            _mark_written(headings)
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            _mark_written(headings)
        elif line.startswith("#"):
            marks = len(line) - len(line.lstrip("#"))
            text = line[marks:].strip()
            if marks <= 6 and text and line[marks : marks + 1].isspace():
                headings.append((marks, text, False))
                continue
            _mark_written(headings)
        elif stripped:
            _mark_written(headings)
    return _empty(headings)


def _mark_written(headings: list[tuple[int, str, bool]]) -> None:
    if headings and not headings[-1][2]:
        level, text, _ = headings[-1]
        headings[-1] = (level, text, True)


def _empty(headings: list[tuple[int, str, bool]]) -> list[str]:
    """Headings without text of their own or a written sub-section under them."""
    empty = []
    for index, (level, text, written) in enumerate(headings):
        if written:
            continue
        below = []
        for later_level, _, later_written in headings[index + 1 :]:
            if later_level <= level:
                break
            below.append(later_written)
        if not any(below):
            empty.append(text)
    return empty
