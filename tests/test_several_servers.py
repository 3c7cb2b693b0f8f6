"""Several web servers on one PostgreSQL: two real servers on two ports share the database
and its search index (KB_SEARCH_BACKEND=postgres); an edit saved through one is found by
the other's search as soon as it is saved."""

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from knowledgebase import search
from tests.conftest import make_agency, make_entry, make_user

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="several servers share a PostgreSQL database (CI's PostgreSQL stage)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A client with its own cookies, talking to one server."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def request(self, method: str, path: str, data=None, headers=None, form=False):
        body = None
        headers = dict(headers or {})
        if data is not None and form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, body, headers, method=method)
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def sign_in(self, username: str, password: str) -> None:
        self.request("GET", "/accounts/login/")
        status, _, _ = self.request(
            "POST",
            "/accounts/login/",
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.cookie("csrftoken"),
            },
            form=True,
        )
        assert status == 200 and any(c.name == "sessionid" for c in self.jar), status


@pytest.fixture
def servers(transactional_db, tmp_path):
    """Two servers (gunicorn, one worker each) on two ports, one database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KB_SEARCH_BACKEND": "postgres",
        "KB_SEMANTIC": "0",
        "DEBUG": "1",
        "SECRET_KEY": "shared-by-both-servers-" + "x" * 40,
        "KB_VAR_DIR": str(tmp_path),
    }
    started = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, base in started:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/accounts/login/", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(process.stdout.read().decode()) from None
                    time.sleep(0.2)
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=10)


def test_a_save_through_one_server_is_found_by_the_other_at_once(servers, settings):
    settings.KB_SEARCH_BACKEND = "postgres"
    author = make_user("writer", make_agency())
    # The servers check passwords with the site's own hashers (the tests' MD5 is not one).
    hasher = PBKDF2PasswordHasher()
    author.password = hasher.encode("pw", hasher.salt())
    author.save()
    entry = make_entry(slug="shared-entry", title="Cutting call wait times", author=author)
    search.rebuild()
    first, second = Browser(servers[0]), Browser(servers[1])
    first.sign_in("writer", "pw")

    status, headers, _ = first.request("GET", "/api/entries/shared-entry/")
    assert status == 200
    status, _, body = first.request(
        "PATCH",
        "/api/entries/shared-entry/",
        {"title": "Cutting call wait times with zephyrine callbacks"},
        {"If-Match": headers["ETag"], "X-CSRFToken": first.cookie("csrftoken")},
    )
    assert status == 200, body
    saved = time.monotonic()

    found = []
    while time.monotonic() - saved < 1.0:
        _, _, body = second.request("GET", "/api/search/?q=zephyrine&mode=words")
        found = [result["slug"] for result in json.loads(body)["results"]]
        if found:
            break
        time.sleep(0.05)
    took = time.monotonic() - saved
    print(f"\nsaved on {servers[0]}, found on {servers[1]} after {took * 1000:.0f} ms")
    assert found == [entry.slug]
