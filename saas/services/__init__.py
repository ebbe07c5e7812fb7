"""Business logic as plain functions, tenant first; they flush, never commit."""
