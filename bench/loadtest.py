"""A whole office at once: `make loadtest`, against gunicorn started with the project's own
production config (gunicorn.conf.py, DEBUG=0) on loopback.

    make loadtest                                   # 10k entries, 20 users for 60 s
    .venv/bin/python bench/loadtest.py --entries 2400 --users 20 --seconds 60
    .venv/bin/python bench/loadtest.py --plain      # the bare command: 2 sync workers
    .venv/bin/python bench/loadtest.py --route words   # every user on one route

1. The site: built once by bench/loadtest_site.py under var/loadtest/<entries>/ (SQLite,
   the Whoosh index, the meaning vectors) and reused while its site.json matches.
2. CPU per page: one worker with one thread (the CPU time of its process during a request
   is then that request's, math and index threads included), the pages asked in turn
   --rounds times; the median CPU ms per page, its ratio to the login page's (the issue's
   targets) and to the page's own time in the application (CPU/wall). The cache is emptied
   first; an anonymous reader's entry page is measured both as made (a page nobody asked
   for yet) and as kept (one asked for in the warm-up).
3. The load: locust, headless in this process, --users users without pauses: home, entry
   pages, results pages in words and in hybrid mode from the dev queries, API search, and
   one writer saving now and then (API PATCH with If-Match). Per route: requests/s,
   p50/p95/p99 (queueing included), errors, CPU ms per request (the thread that answered,
   from Server-Timing); then the workers' CPU time in all per request (psutil), and their
   memory: RSS, and PSS, which counts each shared page once among those sharing it, so
   the PSS of the master and the workers adds up to what the deployment holds.

Figures only, with the load average beside them: this is a benchmark, never a test."""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
from locust import FastHttpUser, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from write_load import Client, run, serve, site_env, stop, tail  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(os.environ.get("KB_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
SAVE_PAUSE = (2.0, 4.0)  # seconds between a writer's saves
PLAIN_WORKERS = 2  # the bare `gunicorn config.wsgi` the issue measured: 2 sync workers


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def queries() -> list[str]:
    lines = (CORPUS_DIR / "queries_dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[0] for line in lines if line.strip()]


def site(entries: int, fresh: bool) -> tuple[Path, dict, dict[str, str]]:
    """The built site's directory, its site.json and the environment of its servers."""
    directory = ROOT / "var" / "loadtest" / str(entries)
    stamp = directory / "site.json"
    corpus_bytes = (CORPUS_DIR / "corpus.jsonl").stat().st_size
    if stamp.exists() and not fresh:
        built = json.loads(stamp.read_text())
        if built.get("entries") == entries and built.get("corpus_bytes") == corpus_bytes:
            print(f"site: {entries:,} entries in {directory} (built earlier)", flush=True)
            return directory, built, server_env(directory)
    if directory.exists():
        subprocess.run(["rm", "-rf", str(directory)], check=True)
    directory.mkdir(parents=True)
    print(f"site: building {entries:,} entries in {directory} ...", flush=True)
    env = server_env(directory)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loadtest_site.py"), str(directory), str(entries)],
        cwd=ROOT / "bench",
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        sys.exit(f"building the site failed (exit status {done.returncode})")
    return directory, json.loads(stamp.read_text()), env


def server_env(directory: Path) -> dict[str, str]:
    env = site_env(directory, f"sqlite:///{directory / 'db.sqlite3'}", semantic=True)
    env["KB_SERVER_TIMING"] = "1"
    env["KB_SEARCH_BACKEND"] = "whoosh"
    # The site's own secret (KB_VAR_DIR/secret_key): its sessions were made with it.
    env.pop("SECRET_KEY")
    return env


def start(env: dict[str, str], tmp: Path, plain: bool, workers: int | None, threads: int | None):
    """gunicorn with gunicorn.conf.py (or, plain, with an empty config and 2 sync workers);
    workers and threads override the config's. (server, port)."""
    if plain:
        (tmp / "empty.conf.py").write_text("")
        options = ["-c", str(tmp / "empty.conf.py"), "-w", str(workers or PLAIN_WORKERS)]
    else:
        options = ["-c", str(ROOT / "gunicorn.conf.py")]
        options += ["-w", str(workers)] if workers else []
        options += ["--threads", str(threads)] if threads else []
    return serve(env, tmp, options, "/accounts/login/", wait=120)


def timing(headers) -> dict[str, float]:
    """The Server-Timing figures of a response (ms by name)."""
    found = {}
    for part in (headers.get("Server-Timing") or "").split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            found[name] = float(duration)
    return found


# --- 2. CPU per page ------------------------------------------------------------------------


def pages(built: dict, words: list[str], n: int) -> dict[str, str]:
    """The n-th path of each page measured one at a time."""
    slugs = built["slugs"]
    query = words[n % len(words)]
    return {
        "login page": "/accounts/login/",
        "home": "/",
        "/entries/": "/entries/",
        # An anonymous reader's entry page is kept once made (caching.part): the pages of the
        # warm-up, and pages nobody asked for since the cache was emptied.
        "entry page, kept": f"/entries/{slugs[n % len(words)]}/",
        "entry page, made": f"/entries/{slugs[(len(slugs) // 2 + n) % len(slugs)]}/",
        "results page, words": results_page(query, "words"),
        "results page, hybrid": results_page(query, "hybrid"),
        "API search": api_search(query),
    }


def results_page(query: str, mode: str) -> str:
    return f"/search/?{urlencode({'q': query, 'mode': mode})}"


def api_search(query: str) -> str:
    return f"/api/search/?{urlencode({'q': query})}"


def cpu_per_page(port: int, built: dict, words: list[str], rounds: int) -> dict:
    client = Client(port, {"Accept": "text/html,application/json"})
    for n in range(len(words)):  # warm-up: caches, query vectors, templates
        for name, path in pages(built, words, n).items():
            if name != "entry page, made":
                client.request("GET", path)
    cpu: dict[str, list[float]] = defaultdict(list)
    app: dict[str, list[float]] = defaultdict(list)
    for n in range(rounds):
        for name, path in pages(built, words, n).items():
            status, headers, body, _ = client.request("GET", path)
            if status != 200:
                sys.exit(f"{path}: {status}\n{body[:500]!r}")
            found = timing(headers)
            cpu[name].append(found["process"])
            app[name].append(found["app"])
    login = statistics.median(cpu["login page"])
    figures = {}
    print(
        f"\nCPU per page, one worker with one thread, median of {rounds} "
        f"(load average {load_average()}):"
    )
    print(f"  {'page':24} {'CPU ms':>8} {'x login':>8} {'wall ms':>8} {'CPU/wall':>9}")
    for name in cpu:
        c, w = statistics.median(cpu[name]), statistics.median(app[name])
        figures[name] = {"cpu_ms": c, "ratio": c / login, "wall_ms": w, "cpu_per_wall": c / w}
        print(f"  {name:24} {c:8.1f} {c / login:8.1f} {w:8.1f} {c / w:9.2f}")
    return figures


# --- 3. the load ----------------------------------------------------------------------------


class Shared:
    built: dict = {}
    words: list[str] = []
    cpu: dict[str, list[float]] = defaultdict(list)


def _get(user, path: str, name: str) -> None:
    with user.client.get(path, name=name, catch_response=True) as response:
        if response.status_code == 200:
            Shared.cpu[name].append(timing(response.headers).get("cpu", 0.0))
            response.success()
        else:
            response.failure(f"{response.status_code}")


class Reader(FastHttpUser):
    """An anonymous reader who never pauses."""

    wait_time = constant(0)

    def on_start(self):
        self.rng = random.Random()

    @task(2)
    def home(self):
        _get(self, "/", "home")

    @task(4)
    def entry(self):
        _get(self, f"/entries/{self.rng.choice(Shared.built['slugs'])}/", "entry page")

    @task(4)
    def words(self):
        _get(self, results_page(self.rng.choice(Shared.words), "words"), "results page, words")

    @task(3)
    def hybrid(self):
        query = self.rng.choice(Shared.words)
        _get(self, results_page(query, "hybrid"), "results page, hybrid")

    @task(3)
    def api_search(self):
        _get(self, api_search(self.rng.choice(Shared.words)), "API search")


class Writer(FastHttpUser):
    """A staff member who reads one of their entries through the API and saves it with
    If-Match every few seconds (a conflict, 409/412, is an answer, not an error)."""

    fixed_count = 1

    def wait_time(self):
        return random.uniform(*SAVE_PAUSE)

    def on_start(self):
        csrf = "loadtest" * 4
        self.headers = {
            "Cookie": f"sessionid={Shared.built['session']}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Accept": "application/json",
        }

    @task
    def save(self):
        slug = random.choice(Shared.built["own"])
        url = f"/api/entries/{slug}/"
        with self.client.get(
            url, name="save: read (API)", headers=self.headers, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return
            etag, body = response.headers.get("ETag", ""), response.json()["body"]
            Shared.cpu["save: read (API)"].append(timing(response.headers).get("cpu", 0.0))
        with self.client.patch(
            url,
            name="save (API PATCH)",
            json={"body": f"{body}\n\nload test {time.time()}", "change_summary": "load test"},
            headers={**self.headers, "If-Match": etag},
            catch_response=True,
        ) as response:
            if response.status_code in (200, 409, 412):
                Shared.cpu["save (API PATCH)"].append(timing(response.headers).get("cpu", 0.0))
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")


def processes(server: subprocess.Popen) -> list[psutil.Process]:
    master = psutil.Process(server.pid)
    return [master, *master.children()]


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        times = proc.cpu_times()
        total += times.user + times.system
    return total


def memory(procs: list[psutil.Process]) -> dict:
    rss = pss = 0
    for proc in procs:
        info = proc.memory_full_info()
        rss += info.rss
        pss += info.pss
    return {"processes": len(procs), "rss_mb": rss / 2**20, "pss_mb": pss / 2**20}


# --route: the Reader's task of each.
ROUTES = {
    "home": "home",
    "entry": "entry",
    "words": "words",
    "hybrid": "hybrid",
    "api": "api_search",
}


def load(
    port: int, server: subprocess.Popen, users: int, seconds: int, route: str | None = None
) -> dict:
    """The load of every route, or (route) of every user on that one route and no writer."""
    Shared.cpu.clear()
    classes = [Reader, Writer]
    if route:
        only = type("Reader", (Reader,), {})
        # Set after the class is made: locust's metaclass adds the base class's tasks.
        only.tasks = [getattr(Reader, ROUTES[route])]
        classes = [only]
    env = Environment(user_classes=classes, host=f"http://127.0.0.1:{port}")
    runner = env.create_local_runner()
    procs = processes(server)
    runner.start(users, spawn_rate=users)
    gevent.sleep(2)  # every user started: the measured window begins
    env.stats.reset_all()
    Shared.cpu.clear()
    cpu_before, started = cpu_seconds(procs), time.monotonic()
    load_before = load_average()
    gevent.sleep(seconds)
    cpu_used, elapsed = cpu_seconds(procs) - cpu_before, time.monotonic() - started
    figures = {
        "memory": memory(procs),
        "load_before": load_before,
        "load_after": load_average(),
    }
    runner.quit()
    stats = env.stats
    total = stats.total.num_requests
    print(
        f"\n{users} users for {elapsed:.0f} s against {len(procs) - 1} workers "
        f"(load average {figures['load_before']} before, {figures['load_after']} after):"
    )
    print(
        f"  {'route':24} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>7} {'CPU ms':>7}"
    )
    routes = {}
    for (name, _method), entry in sorted(stats.entries.items()):
        n = entry.num_requests
        cpu = statistics.mean(Shared.cpu[name]) if Shared.cpu[name] else 0.0
        routes[name] = {
            "requests": n,
            "rps": n / elapsed,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "errors": entry.num_failures,
            "cpu_ms": cpu,
        }
        r = routes[name]
        print(
            f"  {name:24} {r['rps']:7.1f} {r['p50_ms']:6.0f} {r['p95_ms']:6.0f}"
            f" {r['p99_ms']:6.0f} {r['errors']:7d} {cpu:7.1f}"
        )
    errors = {f"{e.name}: {e.error}": e.occurrences for e in stats.errors.values()}
    answered = sum(len(v) for v in Shared.cpu.values())
    own = sum(sum(v) for v in Shared.cpu.values()) / 1000
    figures.update(
        routes=routes,
        requests=total,
        rps=total / elapsed,
        errors=stats.total.num_failures,
        worker_cpu_ms_per_request=cpu_used * 1000 / max(total, 1),
        requests_own_cpu_share=own / cpu_used if cpu_used else 0.0,
    )
    print(
        f"  {'all':24} {figures['rps']:7.1f} {'':6} {'':6} {'':6} {figures['errors']:7d}\n"
        f"  workers' CPU time: {cpu_used:.1f} s, {figures['worker_cpu_ms_per_request']:.1f} ms"
        f" per request; the requests' own threads account for "
        f"{figures['requests_own_cpu_share']:.0%} of it ({answered} answers timed)"
    )
    mem = figures["memory"]
    print(
        f"  memory at the end: {mem['processes']} processes, RSS {mem['rss_mb']:.0f} MB, "
        f"PSS {mem['pss_mb']:.0f} MB in all"
    )
    for text, count in list(errors.items())[:10]:
        print(f"  error x{count}: {text}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=40, help="of the CPU per page")
    parser.add_argument("--plain", action="store_true", help="without gunicorn.conf.py")
    parser.add_argument("--workers", type=int, help="instead of the config's")
    parser.add_argument("--threads", type=int, help="instead of the config's")
    parser.add_argument("--fresh", action="store_true", help="build the site again")
    parser.add_argument(
        "--route", choices=sorted(ROUTES), help="load this route only (no writer, no CPU phase)"
    )
    parser.add_argument("--out", type=Path, help="the figures as JSON")
    args = parser.parse_args()

    directory, built, env = site(args.entries, args.fresh)
    Shared.built, Shared.words = built, queries()
    # A site built earlier gets the migrations made since, and an empty cache.
    run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    empty = "import django; django.setup(); from django.core.cache import cache; cache.clear()"
    run([sys.executable, "-c", empty], env)
    run([sys.executable, "manage.py", "collectstatic", "--noinput"], env)
    tmp = Path(tempfile.mkdtemp(prefix="kb-loadtest-"))
    config = "bare gunicorn, 2 sync workers" if args.plain else "gunicorn.conf.py"
    print(f"server: {config}; load average {load_average()}", flush=True)
    result = {"entries": args.entries, "config": config, "args": vars(args) | {"out": None}}

    if not args.route:
        server, port = start(env, tmp, args.plain, workers=1, threads=1)
        try:
            result["cpu_per_page"] = cpu_per_page(port, built, Shared.words, args.rounds)
        finally:
            stop(server)

    server, port = start(env, tmp, args.plain, args.workers, args.threads)
    try:
        # Each worker loads what it uses on first use (the plain one: the model and the
        # vectors too): asked once per query before the clock starts.
        for n in range(len(Shared.words)):
            for path in pages(built, Shared.words, n).values():
                # A connection each, so that every worker gets its share.
                Client(port, {"Connection": "close"}).request("GET", path)
        result["load"] = load(port, server, args.users, args.seconds, args.route)
    finally:
        stop(server)
    if result["load"]["errors"]:
        print(f"\ngunicorn's stderr:\n{tail(tmp / 'gunicorn.stderr')}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, default=str))
    return 1 if result["load"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
