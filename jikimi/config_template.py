"""The configuration files jikimi writes for people: `jikimi init`'s commented config and the sandbox's.

Pure text. Both are parsed by `jikimi.config.load_settings` in the tests, so a template can never hold
a key jikimi would refuse. The first-run file turns every search engine off: an engine is turned on
by the person who has its keys, and `jikimi sources check` then tests it.
"""

from __future__ import annotations

INITIAL_CONFIG = """\
# jikimi configuration, written by `jikimi init`. Lines starting with # are comments.
# After a change, `jikimi sources check` tests every search engine that is turned on.
# Every key can also come from the environment: JIKIMI_<KEY>, tables joined by __
# (JIKIMI_SOURCES__NAVER__CLIENT_ID=...).

# Where the database is. Default: jikimi.sqlite in this directory. A PostgreSQL server:
# database_url = "postgresql://jikimi@localhost/jikimi"

# The time zone of the nightly schedule, of every time shown, and of the day daily budgets reset.
timezone = "Asia/Seoul"

# When `jikimi schedule` runs the nightly pass (minute hour day month weekday): 03:00 every night.
schedule = "0 3 * * *"

# Where the nightly pass writes the export of new exposures for the takedown team (none: no file).
# export_dir = "/srv/jikimi/exports"

# Days after closing a case before it is purged for good (0: never by itself; `jikimi case purge`).
retention_days = 0

# Fetch the pages of new search results to confirm the name is on the page itself (slower, surer).
verify_pages = false

[network]
# jikimi never visits addresses on this computer or a private network. Only the sandbox (a fake web
# on 127.0.0.1 for training and tests) needs this turned on: never on a real deployment.
allow_private_addresses = false
# Seconds between two requests to the same site, and how many at once: be polite to small sites.
download_delay = 1.0
concurrency_per_domain = 2
# Seconds a request may take before it counts as unreachable.
download_timeout = 20.0

[notify]
# Apprise URLs that get the nightly counts (never a name or a URL), e.g. "mailto://user:pass@example.org".
urls = []

# -- Search engines ---------------------------------------------------------------------------
# Every engine is off until you have its keys. To turn one on: fill in its keys, set enabled = true,
# then run `jikimi sources check`. Keys are secrets: this file is readable by you alone (0600).
# Naver and Daum (Kakao) find most Korean pages; the others reach further abroad.

[sources.naver]
# Naver Search Open API: register an application at https://developers.naver.com (Search API).
enabled = false
client_id = ""
client_secret = ""
# Up to 25,000 calls a day per application; jikimi stops at this many calls per day.
daily_budget = 1000

[sources.kakao]
# Daum search through the Kakao API: a REST API key from https://developers.kakao.com.
enabled = false
api_key = ""
daily_budget = 1000

[sources.brave]
# Brave Search API (reaches sites abroad): a subscription token from https://api-dashboard.search.brave.com.
enabled = false
api_key = ""
daily_budget = 1000

[sources.searxng]
# A SearXNG instance your organisation runs (JSON output enabled); it asks Google, Bing and others.
enabled = false
base_url = "http://127.0.0.1:8888"

[sources.duckduckgo]
# DuckDuckGo's HTML page: no account needed, but it blocks automated searches often and knows
# few Korean pages. Turn it on as an extra, not as your only engine.
enabled = false

[sources.google]
# Google Custom Search JSON API: closed to new customers, ends 2027-01-01. Old accounts only.
enabled = false
api_key = ""
cx = ""

[sources.telegram]
# Not a search engine: where watched Telegram channels (`jikimi target add https://t.me/s/NAME`) are read.
enabled = true
"""

_SANDBOX_CONFIG = """\
# jikimi configuration for the sandbox at {url} (a fake web with fictional content, for training and
# tests). Start it with `jikimi sandbox`, save this as config.toml in a fresh data directory
# (JIKIMI_DATA_DIR), then `jikimi init`, `jikimi sources check` and `jikimi run`.
# The sandbox accepts the keys below as they are: they are not real keys and work nowhere else.

[network]
# The sandbox lives on this computer (127.0.0.1): allowed here, never on a real deployment.
allow_private_addresses = true
download_delay = 0.0

[sources.naver]
base_url = "{url}/ok/naver"
client_id = "sandbox-id"
client_secret = "sandbox-secret"

[sources.kakao]
base_url = "{url}/ok/kakao"
api_key = "sandbox-key"

[sources.brave]
base_url = "{url}/ok/brave"
api_key = "sandbox-key"

[sources.searxng]
base_url = "{url}/ok/searxng"

[sources.duckduckgo]
base_url = "{url}/ok/duckduckgo"

[sources.google]
enabled = false

[sources.telegram]
base_url = "{url}/telegram"
"""


def sandbox_config(url: str) -> str:
    """A ready configuration for the sandbox at `url` (every engine in its `ok` scenario)."""
    return _SANDBOX_CONFIG.format(url=url.rstrip("/"))
