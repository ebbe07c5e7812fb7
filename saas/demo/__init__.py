"""Demo and load-test data: the demo shops with their weeks of cases (`seed`), synthetic bulk data (`generate`).

Run by the CLI only (`flask demo …`, saas/cli/demo.py); nothing in the app imports it.
"""
