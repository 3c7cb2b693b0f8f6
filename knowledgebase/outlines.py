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
