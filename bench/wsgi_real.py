"""The real app under gunicorn with BenchConfig (see bench/settings.py)."""

from bench.settings import BenchConfig
from saas import create_app

app = create_app(BenchConfig)
