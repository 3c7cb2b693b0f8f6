"""The production server: gunicorn.conf.py, the model's threads, the Server-Timing header
that `make loadtest` reads."""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from django.test import Client

from tests.test_several_servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_server_timing_says_what_a_request_cost_when_it_is_asked_for(settings):
    assert "Server-Timing" not in Client().get("/accounts/login/")
    settings.MIDDLEWARE = ["knowledgebase.middleware.server_timing", *settings.MIDDLEWARE]
    header = Client().get("/accounts/login/")["Server-Timing"]
    found = dict(re.findall(r"(\w+);dur=([\d.]+)", header))
    assert set(found) == {"app", "cpu", "process"}, header
    assert float(found["app"]) > 0 and float(found["process"]) > 0


@pytest.mark.parametrize("threads", [1, 2])
def test_the_model_computes_with_the_threads_the_setting_gives(meaning, settings, threads):
    settings.KB_MODEL_THREADS = threads
    options = meaning.model().session.get_session_options()
    assert options.intra_op_num_threads == threads


def test_without_the_setting_the_model_uses_the_machines_cores(meaning, settings):
    settings.KB_MODEL_THREADS = 0
    options = meaning.model().session.get_session_options()
    assert options.intra_op_num_threads == (os.cpu_count() or 1)


def test_the_production_config_pins_the_math_libraries_to_one_thread_per_worker():
    """Set before the application (numpy, onnxruntime, tokenizers) is loaded; what the
    environment already says is kept."""
    shown = (
        "import os, runpy; runpy.run_path('gunicorn.conf.py'); print("
        + ", ".join(
            f"os.environ['{name}']"
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "KB_MODEL_THREADS")
        )
        + ")"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_THREADS")}
    done = subprocess.run([sys.executable, "-c", shown], cwd=ROOT, env=env, capture_output=True)
    assert done.stdout.split() == [b"1", b"1", b"1"], done.stderr
    env["KB_MODEL_THREADS"] = "2"
    done = subprocess.run([sys.executable, "-c", shown], cwd=ROOT, env=env, capture_output=True)
    assert done.stdout.split() == [b"1", b"1", b"2"], done.stderr


def test_the_production_config_forks_workers_that_share_the_model_and_stop_cleanly(tmp_path):
    """gunicorn with gunicorn.conf.py (as the README's production command starts it): the
    master loads the model and the vectors before forking its threaded workers, which
    answer and stop at once."""
    semantic = os.environ.get("KB_SEMANTIC") != "0"
    env = {
        **os.environ,
        # DEBUG on: static files from the finders, as no collectstatic ran (this is about
        # the server's processes, not its settings).
        "DEBUG": "1",
        "SECRET_KEY": "serving-test-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "KB_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "KB_SEMANTIC": "1" if semantic else "0",
        "WEB_CONCURRENCY": "2",
    }
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "KB_MODEL_THREADS"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
                    assert page.status == 200
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.2)
        workers = psutil.Process(server.pid).children()
        assert len(workers) == 2, log.read_text()
        text = log.read_text()
        assert "[INFO] Using worker: gthread" in text, text
        if semantic:
            assert "Search by meaning: 0 vectors loaded before the fork." in text, text
    finally:
        server.terminate()
        # Workers stop at once (one that cannot exit would hold the master for the
        # graceful timeout, 30 s, then be killed).
        server.wait(timeout=10)
    assert "SIGABRT" not in log.read_text() and "SIGKILL" not in log.read_text(), log.read_text()
