"""Concurrent saves (API and editor) against gunicorn: no 5xx, no lost update, conflicts 409/412.

    make loadtest-writes                                       # SQLite, then PostgreSQL, 60 s
    .venv/bin/python bench/write_load.py --database sqlite --seconds 15
    .venv/bin/python bench/write_load.py --database postgres \\
        --pg-url postgres://postgres@127.0.0.1:5432/postgres

The check of issue 11: 5 writers and 15 readers for 60 s against gunicorn with 3 workers
and the production settings (DEBUG=0); on each database it must answer no 5xx, lose no
acknowledged save, and answer conflicting saves 409/412 (the API) or with the conflict page,
409 (the HTML editor: "10 of 10 simultaneous saves answered 500 instead of the conflict page").

Setup, all throwaway: KB_VAR_DIR in a temporary directory (the SQLite database and the
index live there), or for PostgreSQL a fresh database commons_load_<pid> that is dropped at
the end. The first 300 lines of ../shared/corpus/corpus.jsonl are imported and published;
5 writers (staff with a home agency) each author 2 entries of their own, and all 5 author
one shared entry on which they contend. Writers are signed in by session rows made directly.

Writers loop: pick the shared entry (70%) or one of their own (30%), GET /api/entries/<slug>/
(body and ETag), append a line with a unique token and PATCH it with If-Match. A 200 means
the token must be in the final body; 409/412 count as conflicts and the writer re-reads and
tries again (a new token per attempt). One iteration in ten (--no-if-match) instead sends a
PATCH without If-Match that changes no field, which the contract answers 428. Of the other
iterations 30% (--editor-share) save through the HTML editor as a browser would: GET
/entries/<slug>/edit/, read every field of its entry form (inputs, checked boxes, textareas,
selected options, the hidden csrfmiddlewaretoken, base_version and the outcomes formset's
management fields; the "add a link" fields left empty), append the token line to the body
and POST the form back, url-encoded, with the session and csrftoken cookies. A 302 (to the
entry) is a save whose token must survive; 409 is the conflict page ("Somebody saved this
entry while you were editing it"), a conflict, after which the writer loads the editor
again; 400 is a form error, outside the contract (the first error list is printed). Readers
(anonymous) rotate through the home page, the list, entry pages, the results page,
/api/search/ and /api/entries/<slug>/. Clients are threads with one http.client connection
each.

Afterwards every written entry is read once more: an acknowledged token missing from its
body is a lost update. Printed: per kind of request the count, status histogram and p50/p95
latency (queueing included: 20 clients share 3 sync workers); successful saves per second;
conflicts; 5xx; lost updates; the 1-minute load average beside the figures (the machine is
shared). With any 5xx or dropped connection, the first bodies and the tail of gunicorn's
stderr (where each worker logs its tracebacks) are printed too.

Exit status 1 when there was a 5xx, a dropped connection, a lost update, or a save
answered outside the contract (a conditional PATCH not 200/409/412, one without If-Match
not 428, an editor post not 302/409, an editor page without its form). Figures only: this
is a benchmark, never a unit test."""

import argparse
import html
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "corpus.jsonl"
SEED_LINES = 300
OWN_ENTRIES = 2
SHARED_SHARE = 0.7
MAX_ATTEMPTS = 50
SEARCH_WORDS = [
    "accessibility",
    "data",
    "design",
    "security",
    "cloud",
    "procurement",
    "open source",
    "users",
    "digital services",
    "agile",
]
READER_PAGES = ["home", "list", "entry", "results", "api-search", "api-entry"]

# Loaded by gunicorn (-c): with DEBUG=0 Django logs a 500's traceback to nobody (ADMINS is
# empty); this hands them to the worker's stderr, which the bench keeps in a file.
GUNICORN_CONF = """\
import logging


def post_worker_init(worker):
    handler = logging.StreamHandler()
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter("[worker %(process)d] %(name)s: %(message)s"))
    logging.getLogger("django.request").addHandler(handler)
"""


# --- the site -------------------------------------------------------------------------------


def site_env(var_dir: Path, database_url: str, semantic: bool) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(50)),
        "ALLOWED_HOSTS": "127.0.0.1",
        "KB_SSL_REDIRECT": "0",
        "KB_VAR_DIR": str(var_dir),
        "KB_INDEX_DIR": str(var_dir / "index"),
        "KB_SEMANTIC": "1" if semantic else "0",
        "DATABASE_URL": database_url,
    }


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def pg_execute(url: str, statement: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def seed(out: Path) -> None:
    """In a subprocess with the site's environment: writers, authorship, sessions."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from knowledgebase.models import Agency, Entry, Profile

    writers = int(os.environ["LOAD_WRITERS"])
    entries = list(Entry.objects.filter(state="published").order_by("pk"))
    if len(entries) < 1 + OWN_ENTRIES * writers:
        sys.exit(f"Only {len(entries)} published entries: too few for {writers} writers.")
    agency = Agency.objects.order_by("pk").first()
    shared = entries[0]
    sessions, own = {}, {}
    for i in range(1, writers + 1):
        user = get_user_model().objects.create_user(f"load-writer-{i}")
        Profile.objects.update_or_create(user=user, defaults={"agency": agency})
        mine = entries[1 + OWN_ENTRIES * (i - 1) : 1 + OWN_ENTRIES * i]
        for entry in [shared, *mine]:
            entry.authors.add(user)
        sessions[user.username] = signed_in(user)
        own[user.username] = [entry.slug for entry in mine]
    public = [entry.slug for entry in entries if entry.visibility == "public"]
    data = {"sessions": sessions, "shared": shared.slug, "own": own, "public": public}
    out.write_text(json.dumps(data))


def signed_in(user) -> str:
    """The key of a new session of this user (as signing in makes one)."""
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], workers: int, tmp: Path) -> tuple[subprocess.Popen, int]:
    conf = tmp / "gunicorn_conf.py"
    conf.write_text(GUNICORN_CONF)
    return serve(env, tmp, ["-c", str(conf), "-w", str(workers)], "/")


def serve(
    env: dict[str, str], tmp: Path, options: list[str], ready: str, wait: float = 60
) -> tuple[subprocess.Popen, int]:
    """gunicorn with these options on a free port, once it answers GET `ready` with 200;
    its stderr in tmp/gunicorn.stderr. (server, port)"""
    port = free_port()
    stderr = (tmp / "gunicorn.stderr").open("a")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}"]
        + options,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}:\n{tail(tmp / 'gunicorn.stderr')}")
        status, _, _, _ = Client(port).request("GET", ready)
        if status == 200:
            return server, port
        time.sleep(0.2)
    stop(server)
    sys.exit(
        f"gunicorn did not answer GET {ready} in {wait:.0f} s:\n{tail(tmp / 'gunicorn.stderr')}"
    )


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- the clients ----------------------------------------------------------------------------


class Client:
    """One connection (reopened by http.client after gunicorn closes it)."""

    def __init__(self, port: int, headers: dict[str, str] | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = headers or {}

    def request(
        self,
        method: str,
        path: str,
        payload: dict | bytes | None = None,
        headers: dict | None = None,
    ) -> tuple[int, http.client.HTTPMessage | None, bytes, float]:
        """(status, headers, body, seconds); status 0 when the connection failed. A dict
        payload is sent as JSON, bytes as they are."""
        body = json.dumps(payload).encode() if isinstance(payload, dict) else payload
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            return 0, None, repr(error).encode(), time.perf_counter() - start
        return response.status, response.headers, data, time.perf_counter() - start


class EntryFormFields(HTMLParser):
    """The fields a browser would submit with each <form> of a page, in document order:
    `forms` is a list of (the form's attributes, [(name, value), ...]). Text inputs and
    hidden ones always; checkboxes and radios when checked; a textarea's text; a select's
    selected options (a single select without one: its first option); submit buttons only
    the first one named "action" (the button clicked). Disabled controls and the inert
    content of <template> are left out, as browsers do."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict[str, str], list[tuple[str, str]]]] = []
        self.fields: list[tuple[str, str]] | None = None  # of the form being read
        self.template = 0
        self.clicked = False
        self.textarea: tuple[str, list[str]] | None = None
        self.select: tuple[str, bool, list[tuple[str, bool]]] | None = None
        self.option: tuple[str | None, list[str], bool] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "template":
            self.template += 1
        if self.template:
            return
        if tag == "form":
            self.fields = []
            self.clicked = False
            self.forms.append((attrs, self.fields))
            return
        if self.fields is None:
            return
        if tag == "option" and self.select is not None:
            self.end_option()
            self.option = (attrs.get("value"), [], "selected" in attrs and "disabled" not in attrs)
            return
        name = attrs.get("name")
        if not name or "disabled" in attrs:
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
            elif kind in ("submit", "button", "image", "reset"):
                if kind == "submit":
                    self.submit(name, attrs.get("value", ""))
            elif kind != "file":
                self.fields.append((name, attrs.get("value", "")))
        elif tag == "button":
            if attrs.get("type", "submit").lower() == "submit":
                self.submit(name, attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = (name, [])
        elif tag == "select":
            self.select = (name, "multiple" in attrs, [])

    def submit(self, name: str, value: str) -> None:
        if name == "action" and not self.clicked:
            self.clicked = True
            self.fields.append((name, value))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)
        elif self.option is not None:
            self.option[1].append(data)

    def end_option(self) -> None:
        if self.option is not None and self.select is not None:
            value, text, selected = self.option
            # Without a value attribute an option's value is its text, spaces collapsed.
            value = " ".join("".join(text).split()) if value is None else value
            self.select[2].append((value, selected))
        self.option = None

    def handle_endtag(self, tag):
        if tag == "template":
            self.template = max(0, self.template - 1)
            return
        if self.template or self.fields is None:
            return
        if tag == "form":
            self.fields = None
        elif tag == "textarea" and self.textarea is not None:
            name, parts = self.textarea
            text = "".join(parts)
            # The HTML parsing rules drop one newline right after <textarea>.
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "option":
            self.end_option()
        elif tag == "select" and self.select is not None:
            self.end_option()
            name, multiple, options = self.select
            chosen = [value for value, selected in options if selected]
            if not multiple and not chosen and options:
                chosen = [options[0][0]]
            self.fields.extend((name, value) for value in (chosen if multiple else chosen[-1:]))
            self.select = None


def entry_form(page: bytes) -> list[tuple[str, str]] | None:
    """The fields of the editor's entry form (the post form with a body; the page also
    holds the sign-out form), or None when the page has none."""
    parser = EntryFormFields()
    parser.feed(page.decode("utf-8", errors="replace"))
    parser.close()
    for attrs, fields in parser.forms:
        if attrs.get("method", "get").lower() == "post" and any(n == "body" for n, _ in fields):
            return fields
    return None


def form_errors(page: bytes) -> str:
    """The error list of an editor page answered 400, as text."""
    text = page.decode("utf-8", errors="replace")
    found = re.search(r'<div class="notice notice-error".*?</div>', text, re.S)
    pieces = [found.group(0)] if found else []
    pieces += re.findall(r'<p class="error-text".*?</p>', text, re.S)
    if not pieces:
        pieces = [text]
    plain = " | ".join(" ".join(re.sub(r"<[^>]+>", " ", piece).split()) for piece in pieces)
    return html.unescape(plain)


def set_cookies(headers: http.client.HTTPMessage | None) -> dict[str, str]:
    """The cookies a response sets: name -> value."""
    cookies: dict[str, str] = {}
    for header in (headers.get_all("Set-Cookie") if headers is not None else None) or []:
        jar = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        cookies.update({name: morsel.value for name, morsel in jar.items()})
    return cookies


@dataclass
class Log:
    """What one client thread saw; merged after the run (no locks while running)."""

    timings: list[tuple[str, int, float]] = field(default_factory=list)
    # token, slug, status, "api" or "editor"
    saves: list[tuple[str, str, int, str]] = field(default_factory=list)
    failures: list[tuple[str, int, bytes]] = field(default_factory=list)  # kind, status, body
    form_error: str | None = None  # the error list of the first editor post answered 400
    formless: int = 0  # editor pages answered 200 without the entry form

    def add(self, kind: str, status: int, seconds: float, body: bytes) -> None:
        self.timings.append((kind, status, seconds))
        if status == 0 or status >= 500:
            self.failures.append((kind, status, body))


def writer(port, number, session, own, shared, shares, until: float, log: Log) -> None:
    no_if_match, editor_share = shares
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    # One connection for both; the headers are per request, so that an editor post is sent
    # as a browser sends it (no X-CSRFToken header to stand in for the form's token).
    client = Client(port)
    api = {
        "Cookie": f"sessionid={session}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    rng = random.Random(number)
    tokens = (f"TOKEN w{number}-{sequence:06d}" for sequence in range(1, 10**6))
    while time.monotonic() < until:
        slug = shared if rng.random() < SHARED_SHARE else rng.choice(own)
        url = f"/api/entries/{slug}/"
        if rng.random() < no_if_match:
            # Changes nothing, so that a wrongly accepted one cannot lose anybody's token.
            status, _, body, seconds = client.request(
                "PATCH", url, {"change_summary": "load test, no If-Match"}, api
            )
            log.add("PATCH without If-Match", status, seconds, body)
            continue
        if rng.random() < editor_share:
            edit(client, port, slug, (session, csrf), tokens, until, log)
            continue
        for _ in range(MAX_ATTEMPTS):
            status, headers, body, seconds = client.request("GET", url, headers=api)
            log.add("writer GET /api/entries/<slug>/", status, seconds, body)
            if status != 200 or time.monotonic() >= until:
                break
            token = next(tokens)
            new_body = json.loads(body)["body"] + f"\n\n{token}"
            status, _, body, seconds = client.request(
                "PATCH",
                url,
                {"body": new_body, "change_summary": "load test"},
                {**api, "If-Match": headers.get("ETag", "")},
            )
            log.add("PATCH with If-Match", status, seconds, body)
            log.saves.append((token, slug, status, "api"))
            if status not in (409, 412):
                break


def edit(client: Client, port: int, slug: str, cookies, tokens, until: float, log: Log) -> None:
    """Save through the HTML editor as a browser would, loading it again after a 409."""
    session, csrf = cookies
    path = f"/entries/{slug}/edit/"
    origin = f"http://127.0.0.1:{port}"
    for _ in range(MAX_ATTEMPTS):
        # The self-made csrftoken cookie goes with the GET too: the page's masked token in
        # csrfmiddlewaretoken is then made from that secret.
        status, headers, body, seconds = client.request(
            "GET",
            path,
            headers={
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
                "Accept": "text/html,application/xhtml+xml",
            },
        )
        log.add("GET editor", status, seconds, body)
        if status != 200 or time.monotonic() >= until:
            return
        fields = entry_form(body)
        if fields is None:
            log.formless += 1
            return
        token = next(tokens)
        posted = []
        for name, value in fields:
            if name.startswith("link-"):
                value = ""  # "Add a link to": nothing typed
            elif name == "body":
                value += f"\n\n{token}"
            elif name == "change_summary":
                value = "load test, editor"
            posted.append((name, value))
        page_csrf = set_cookies(headers).get("csrftoken", csrf)
        status, _, body, seconds = client.request(
            "POST",
            path,
            urlencode(posted).encode(),
            {
                "Cookie": f"sessionid={session}; csrftoken={page_csrf}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "text/html,application/xhtml+xml",
                "Origin": origin,
                "Referer": origin + path,
            },
        )
        log.add("POST editor", status, seconds, body)
        log.saves.append((token, slug, status, "editor"))
        if status == 400 and log.form_error is None:
            log.form_error = form_errors(body)
        if status != 409:
            return


def reader(port: int, number: int, public: list[str], until: float, log: Log) -> None:
    client = Client(port, {"Accept": "text/html,application/json"})
    rng = random.Random(1000 + number)
    turn = number
    while time.monotonic() < until:
        page = READER_PAGES[turn % len(READER_PAGES)]
        turn += 1
        slug = rng.choice(public)
        word = rng.choice(SEARCH_WORDS).replace(" ", "+")
        kind, path = {
            "home": ("GET /", "/"),
            "list": ("GET /entries/", "/entries/"),
            "entry": ("GET /entries/<slug>/", f"/entries/{slug}/"),
            "results": ("GET /search/?q=", f"/search/?q={word}"),
            "api-search": ("GET /api/search/?q=", f"/api/search/?q={word}"),
            "api-entry": ("reader GET /api/entries/<slug>/", f"/api/entries/{slug}/"),
        }[page]
        status, _, body, seconds = client.request("GET", path)
        log.add(kind, status, seconds, body)


# --- the run --------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def load(args, tmp: Path, env: dict[str, str]) -> int:
    lines = args.corpus.read_text(encoding="utf-8").splitlines(keepends=True)[:SEED_LINES]
    (tmp / "seed.jsonl").write_text("".join(lines), encoding="utf-8")
    python = sys.executable
    run([python, "manage.py", "migrate", "--noinput"], env)
    run([python, "manage.py", "collectstatic", "--noinput"], env)
    run([python, "manage.py", "import_entries", str(tmp / "seed.jsonl"), "--publish"], env)
    seeding = {**env, "LOAD_WRITERS": str(args.writers)}
    run([python, __file__, "--seed-into", str(tmp / "seed.json")], seeding)
    seeded = json.loads((tmp / "seed.json").read_text())

    server, port = start_gunicorn(env, args.workers, tmp)
    try:
        load_before = os.getloadavg()[0]
        logs: list[Log] = []
        threads = []
        started = time.monotonic()
        until = started + args.seconds
        for number, (username, session) in enumerate(seeded["sessions"].items(), 1):
            log = Log()
            logs.append(log)
            own = seeded["own"][username]
            shared = seeded["shared"]
            shares = (args.no_if_match, args.editor_share)
            work = (port, number, session, own, shared, shares, until, log)
            threads.append(threading.Thread(target=writer, args=work))
        for number in range(args.readers):
            log = Log()
            logs.append(log)
            work = (port, number, seeded["public"], until, log)
            threads.append(threading.Thread(target=reader, args=work))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()[0]

        first = next(iter(seeded["sessions"].values()))
        final = final_bodies(port, first, {save[1] for log in logs for save in log.saves})
    finally:
        stop(server)
    return report(args, logs, final, elapsed, (load_before, load_after), tmp)


def final_bodies(port: int, session: str, slugs: set[str]) -> dict[str, set[str] | None]:
    """Each written entry's body as a set of lines (None when it could not be read)."""
    client = Client(port, {"Cookie": f"sessionid={session}", "Accept": "application/json"})
    bodies: dict[str, set[str] | None] = {}
    for slug in sorted(slugs):
        status, _, body, _ = client.request("GET", f"/api/entries/{slug}/")
        lines = json.loads(body)["body"].splitlines() if status == 200 else None
        bodies[slug] = {line.strip() for line in lines} if lines is not None else None
    return bodies


def report(args, logs: list[Log], final, elapsed: float, loads, tmp: Path) -> int:
    timings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for log in logs:
        for kind, status, seconds in log.timings:
            timings[kind].append((status, seconds))
    saves = [save for log in logs for save in log.saves]
    failures = [failure for log in logs for failure in log.failures]

    print(
        f"\n== {args.database}: {args.writers} writers + {args.readers} readers, "
        f"{args.workers} gunicorn workers, {elapsed:.0f} s; 1-min load average "
        f"{loads[0]:.2f} before, {loads[1]:.2f} after ({os.cpu_count()} CPUs)"
    )
    print(f"{'kind of request':<34}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}  statuses")
    for kind in sorted(timings):
        rows = timings[kind]
        seconds = [s for _, s in rows]
        histogram = sorted(Counter(code for code, _ in rows).items())
        statuses = " ".join(f"{code}:{n}" for code, n in histogram)
        p50, p95 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.95) * 1000
        print(f"{kind:<34}{len(rows):>7}{p50:>9.1f}{p95:>9.1f}  {statuses}")

    saved = {"api": 200, "editor": 302}  # the answer acknowledging a save
    conditional = Counter(status for _, _, status, via in saves if via == "api")
    editor = Counter(status for _, _, status, via in saves if via == "editor")
    unconditional = Counter(status for status, _ in timings.get("PATCH without If-Match", []))
    everything = Counter(status for rows in timings.values() for status, _ in rows)
    server_errors = sum(n for code, n in everything.items() if code >= 500)
    dropped = everything[0]
    lost, applied_anyway = [], Counter()
    for token, slug, status, via in saves:
        lines = final.get(slug)
        if lines is None:
            continue
        if status == saved[via] and token not in lines:
            lost.append((token, slug, via))
        elif status != saved[via] and token in lines:
            applied_anyway[f"{via} {status}"] += 1
    unreadable = sorted(slug for slug, lines in final.items() if lines is None)
    off_contract = {c: n for c, n in conditional.items() if c not in (200, 409, 412)}
    no_precondition = {c: n for c, n in unconditional.items() if c != 428}
    editor_off_contract = {c: n for c, n in editor.items() if c not in (302, 409)}
    formless = sum(log.formless for log in logs)
    form_error = next((log.form_error for log in logs if log.form_error is not None), None)
    acknowledged = conditional[200] + editor[302]

    print(
        f"saves/s (API 200 + editor 302): {acknowledged / elapsed:.1f}   "
        f"({conditional[200]} API + {editor[302]} editor saves; "
        f"1-min load average {loads[1]:.2f})"
    )
    print(
        f"conflicts: {conditional[412] + conditional[409] + editor[409]} "
        f"(API 412: {conditional[412]}  API 409: {conditional[409]}  "
        f"editor 409: {editor[409]})   "
        f"428 (no If-Match): {unconditional[428]} of {sum(unconditional.values())}"
    )
    print(f"5xx: {server_errors}   dropped connections: {dropped}")
    print(f"lost updates: {len(lost)} of {acknowledged} acknowledged saves")
    if applied_anyway:
        print(f"saved although not acknowledged (answer: count): {dict(applied_anyway)}")
    if off_contract:
        print(f"conditional PATCH answered outside 200/409/412: {off_contract}")
    if no_precondition:
        print(f"PATCH without If-Match answered other than 428: {no_precondition}")
    if editor_off_contract:
        print(f"editor POST answered outside 302/409: {editor_off_contract}")
    if form_error is not None:
        print(f"first editor form error (400): {form_error[:500]}")
    if formless:
        print(f"editor pages answered 200 without the entry form: {formless}")
    if unreadable:
        print(f"entries that could not be read back (not checked): {unreadable}")
    for token, slug, via in lost[:20]:
        print(f"  LOST {token} on {slug} (saved through the {via})")
    stderr = tmp / "gunicorn.stderr"
    exceptions = Counter(
        line.strip()
        for line in stderr.read_text(errors="replace").splitlines()
        if re.match(r"^[\w.]+(Error|Exception)\b.*:", line.strip())
    )
    if exceptions:
        print("exceptions in gunicorn's stderr, answered 5xx or handled (count):")
        for line, n in exceptions.most_common(8):
            print(f"  {n:>5}  {line[:200]}")
    if failures:
        print("first 5xx / dropped connection bodies:")
        for kind, status, body in failures[:3]:
            print(f"  {kind} -> {status}: {body[:300].decode(errors='replace')!r}")
        print("last 40 lines of gunicorn's stderr:")
        print(tail(stderr))

    problems = (
        server_errors
        + dropped
        + len(lost)
        + len(off_contract)
        + len(no_precondition)
        + len(editor_off_contract)
        + formless
    )
    print("RESULT:", "FAIL" if problems else "PASS")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--readers", type=int, default=15)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--semantic", action="store_true", help="keep search by meaning on (KB_SEMANTIC=1)"
    )
    parser.add_argument(
        "--no-if-match",
        type=float,
        default=0.1,
        metavar="SHARE",
        help="share of writer iterations that PATCH without If-Match (expecting 428)",
    )
    parser.add_argument(
        "--editor-share",
        type=float,
        default=0.3,
        metavar="SHARE",
        help="share of the other writer iterations that save through the HTML editor",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (logs, SQLite file)"
    )
    parser.add_argument("--seed-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_into:
        seed(args.seed_into)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="commons-write-load-"))
    database = f"commons_load_{os.getpid()}"
    created = False
    try:
        if args.database == "postgres":
            pg_execute(args.pg_url, "CREATE DATABASE {}", database)
            created = True
            url = with_database(args.pg_url, database)
        else:
            url = f"sqlite:///{tmp / 'db.sqlite3'}"
        return load(args, tmp, site_env(tmp, url, args.semantic))
    finally:
        if created:
            pg_execute(args.pg_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", database)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
