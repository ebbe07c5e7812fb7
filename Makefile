# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test test-pg translations messages bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[embedded,test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# Catalogues are compiled by the build; only the .po sources are committed.
translations: $(STAMP)
	@$(VENV)/bin/pybabel compile -d translations >/dev/null

run: translations
	$(PY) scripts/run.py

test: translations
	$(PY) -m pytest $(PYTEST_ARGS)

test-pg: translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_ARGS)

# Re-extract strings after changing UI text, then translate the new zh_Hans entries.
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot . >/dev/null
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
	$(PY) scripts/po_fill.py </dev/null

bench: translations
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) instance/redis
