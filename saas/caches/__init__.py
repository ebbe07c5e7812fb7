"""Every per-process cache, and the one protocol they all follow.

The caches (one module each):

- `tenant_rows`  – a shop's row by slug, for the tenant resolver (web).
- `pages`        – whole public pages of a shop for anonymous visitors (WSGI middleware, web).
- `case_pages`   – a consumer's rendered case page (web).
- `worker_shops` – a shop's row, message wordings and terms, between jobs (worker).
- `auto_assign`  – whether a shop hands out new cases in turn (web and worker: wherever cases are filed).

The protocol (`tokens`):

1. Each cached thing belongs to a shop (kind "tenant") or a case (kind "case"), which has a
   random *cache token* in Redis (`tokens.current` sets one when there is none).
2. A copy is kept under the token read BEFORE the data it was made from, so a change committed
   in between has already deleted that token and the copy is never trusted.
3. A reader trusts its copy only while `tokens.still` says the token is unchanged; when Redis
   cannot tell, nothing is trusted (every request or job reads the rows, as without a cache).
4. Writers need do nothing: a commit that touches a shop's data (rows mixing in
   `tokens.ShopData`) or a case's (see `case_pages.touched_cases`) is collected before each
   flush and, after the commit, the process's own copies are dropped and the tokens deleted
   (`tokens.Invalidation`). Writers that bypass the ORM call `mark_changed`.

The session listeners that run (3) and (4) are registered by `saas.session_hooks.register`,
called from `create_app` - not by importing anything here. Importing this package runs nothing.
"""
