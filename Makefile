# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
CKSUM  := $(shell cksum pyproject.toml | cut -d' ' -f1)
# `make run` installs what running needs; `make test` adds the test tools (separate stamps).
RUN_STAMP  = $(VENV)/.installed-run-$(CKSUM)
TEST_STAMP = $(VENV)/.installed-test-$(CKSUM)

.PHONY: run test test-pg lint format translations messages bench bench-reports clean venv venv-test

# A venv left broken by a failed first try (no pip: python3-venv was missing; or a python
# that no longer runs) is rebuilt, not reused: its stamps are then always out of date.
ifneq ($(shell $(PY) -c 'import pip' >/dev/null 2>&1 && echo ok),ok)
.PHONY: $(RUN_STAMP) $(TEST_STAMP)
endif

$(RUN_STAMP): pyproject.toml
	@$(PY) -c 'import pip' >/dev/null 2>&1 || { \
	  if [ -e $(VENV) ]; then echo "$(VENV) is broken (a failed first try?): rebuilding it"; rm -rf $(VENV); fi; \
	  $(PYTHON) -m venv $(VENV) && $(PY) -c 'import pip' >/dev/null 2>&1 || { rm -rf $(VENV); \
	    echo "Could not create a virtualenv with $(PYTHON) (Python >= 3.11 and its venv module are needed;" \
	         "on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[embedded]'
	@rm -f $(VENV)/.installed-*
	@touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(PY) -m pip install -q -e '.[embedded,test]'
	@touch $(TEST_STAMP)

venv: $(RUN_STAMP)
venv-test: $(TEST_STAMP)

# Catalogues are compiled by the build; only the .po sources are committed.
translations: $(RUN_STAMP)
	@$(VENV)/bin/pybabel compile -d translations >/dev/null

run: translations
	$(PY) scripts/run.py

test: translations $(TEST_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-pg: translations $(TEST_STAMP)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_ARGS)

# One style for the house (config in pyproject.toml): CI runs `make lint`; `make format` applies it.
lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(TEST_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Re-extract strings after changing UI text, then translate the new zh_Hans entries.
messages: $(RUN_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot . >/dev/null
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
	$(PY) scripts/po_fill.py </dev/null

bench: translations
	$(PY) bench/run.py
	$(PY) bench/reports.py

# The reports page at 100,000 and 1,000,000 cases of one shop (issue 16): also the last step of `make bench`.
bench-reports: translations
	$(PY) bench/reports.py

clean:
	rm -rf $(VENV) instance/redis
