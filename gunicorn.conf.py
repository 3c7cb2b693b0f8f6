"""The production web server: `.venv/bin/gunicorn config.wsgi` (gunicorn reads this file
from the directory it starts in; `-c gunicorn.conf.py` names it from elsewhere).

Workers: one per core (WEB_CONCURRENCY), each with KB_THREADS threads, so a request that
waits for the database or the disk does not hold a core. The application, the model and
the meaning vectors are loaded once, before the workers are forked: the workers share
those pages instead of each holding its own copy (at 10,000 entries two workers hold
440 MB in all, not 610). Every math library computes on one
thread per worker: two workers on two cores that each start a pool of math threads only
fight over the cores (and the threads left spinning after a vector product charge their
CPU time to the next request)."""

import os

# Before numpy, onnxruntime or tokenizers are imported (the application is loaded below).
for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")
os.environ.setdefault("KB_MODEL_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
threads = int(os.environ.get("KB_THREADS", "4"))
worker_class = "gthread"
preload_app = True


def when_ready(server):
    """In the master, before the first fork: the model and the meaning vectors, loaded
    once; its database connections closed, so that no worker inherits one."""
    from django.db import connections

    from knowledgebase.search import meaning

    try:
        found = meaning.vectors()
        if found is not None:
            server.log.info("Search by meaning: %s vectors loaded before the fork.", len(found.ids))
    finally:
        connections.close_all()


def worker_exit(server, worker):
    """A worker ends here, its logs flushed, without the interpreter's clean-up: the child of
    a process that has loaded onnxruntime (the master, above) hangs in the library's exit
    handlers until it is killed (and the master waits the graceful timeout for it)."""
    import logging
    import sys

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
