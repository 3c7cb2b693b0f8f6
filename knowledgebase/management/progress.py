"""A progress bar for long management commands: redrawn in place on a terminal, a line
every tenth of the way in logs (cron, CI)."""

from collections.abc import Callable


def progress_printer(command, label: str = "entries") -> Callable[[int, int], None]:
    """progress(done, total) for a BaseCommand; call finish_progress(command) after."""
    shown = -1
    interactive = command.stdout.isatty()

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = 100 * done // total if total else 100
        if interactive:
            bar = "#" * (percent // 4)
            command.stdout.write(f"\r[{bar:<25}] {done}/{total}", ending="")
            command.stdout.flush()
        elif percent // 10 > shown:
            shown = percent // 10
            command.stdout.write(f"{done}/{total} {label} ({percent}%)")

    return progress


def finish_progress(command) -> None:
    if command.stdout.isatty():
        command.stdout.write("")
