"""A progress bar for long management commands: redrawn in place on a terminal, a line
every tenth of the way in logs (cron, CI)."""

import time
from collections.abc import Callable


def progress_printer(command, label: str = "entries") -> Callable[[int, int], None]:
    """progress(done, total) for a BaseCommand, with the rate since the first call and the
    time left at that rate; call finish_progress(command) after."""
    shown = -1
    interactive = command.stdout.isatty()
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = 100 * done // total if total else 100
        pace = speed(done, total, time.monotonic() - started, label)
        if interactive:
            bar = "#" * (percent // 4)
            command.stdout.write(f"\r[{bar:<25}] {done}/{total}{pace}", ending="")
            command.stdout.flush()
        elif percent // 10 > shown:
            shown = percent // 10
            command.stdout.write(f"{done}/{total} {label} ({percent}%){pace}")

    return progress


def speed(done: int, total: int, seconds: float, label: str = "entries") -> str:
    """ ", 38 entries/s, 1 min 4 s left" (nothing before there is a rate to tell)."""
    if done <= 0 or seconds <= 0:
        return ""
    rate = done / seconds
    left = round((total - done) / rate)
    minutes, rest = divmod(left, 60)
    remaining = f"{minutes} min {rest} s" if minutes else f"{rest} s"
    return (
        f", {rate:.0f} {label}/s, {remaining} left" if done < total else f", {rate:.0f} {label}/s"
    )


def finish_progress(command) -> None:
    if command.stdout.isatty():
        command.stdout.write("")
