# crm_relationship_manager: the two commands a newcomer needs.
#   make demo   start Odoo 18 with the addon and rich demo data on http://localhost:8069
#   make test   run every test (lint, static checks, the addon's Odoo suite, then Odoo's own suites with and without the addon)
#   make lint   ruff and pylint-odoo as OCA runs them (pip install ruff pylint-odoo)
# Prerequisites: Odoo 18.0 (python3 -c 'import odoo' works) and PostgreSQL.

PYTHON    ?= python3
DB_HOST   ?= 127.0.0.1
DB_PORT   ?= 5432
DB_USER   ?= odoo
DEMO_DB   ?= crm_relationship_demo
HTTP_PORT ?= 8069
TEST_ARGS ?=

.PHONY: demo test lint compat-baseline install screenshots help

help:
	@sed -n '2,5p' Makefile

demo:
	@$(PYTHON) tools/odoo_env.py demo --db-host $(DB_HOST) --db-port $(DB_PORT) --db-user $(DB_USER) --database $(DEMO_DB) --http-port $(HTTP_PORT)

test:
	@$(PYTHON) tools/odoo_env.py test --db-host $(DB_HOST) --db-port $(DB_PORT) --db-user $(DB_USER) $(TEST_ARGS)

compat-baseline:  # recompute tools/compat/baseline-<odoo version>.json (Odoo's tests without the addon)
	@$(PYTHON) tools/odoo_env.py compat-baseline --db-host $(DB_HOST) --db-port $(DB_PORT) --db-user $(DB_USER)

lint:
	@$(PYTHON) tools/odoo_env.py lint

install:
	@$(PYTHON) tools/odoo_env.py pip-install

screenshots:  # re-take the README screenshots from the tours
	@CRM_RM_SCREENSHOTS=1 $(PYTHON) tools/odoo_env.py test --db-host $(DB_HOST) --db-port $(DB_PORT) --db-user $(DB_USER) -k tour
