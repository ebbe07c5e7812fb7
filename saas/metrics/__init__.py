"""Prometheus metrics: per-process request figures (web) and shared figures read at scrape time (figures)."""
