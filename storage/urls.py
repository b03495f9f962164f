"""URL identity, platform naming and log-safe rendering, as pure functions.

Every exposure is keyed by `canonical_url`, so two spellings of one page are one exposure. Search URLs
carry a victim's name in their query string, so anything written to a log goes through `redact_url`.
Imports only the standard library and w3lib: `storage` is the core of the dependency graph.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from storage.errors import InvalidURLError

MAX_TARGET_URL_LENGTH = 2048

# Click and campaign identifiers: they name the visit, not the page.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "igshid", "mc_eid", "_ga", "yclid", "ref_src"}
)
_TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WHITESPACE = re.compile(r"\s")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_MAX_PASSES = 5

# (host suffix, platform), most specific first: the first suffix that matches wins.
_PLATFORMS: tuple[tuple[str, str], ...] = (
    ("t.me", "telegram"),
    ("telegram.me", "telegram"),
    ("telegram.org", "telegram"),
    ("blog.naver.com", "naver_blog"),
    ("cafe.naver.com", "naver_cafe"),
    ("naver.com", "naver"),
    ("naver.me", "naver"),
    ("cafe.daum.net", "daum_cafe"),
    ("tistory.com", "tistory"),
    ("daum.net", "daum"),
    ("kakao.com", "daum"),
    ("brunch.co.kr", "daum"),
    ("twitter.com", "x"),
    ("x.com", "x"),
    ("t.co", "x"),
    ("youtube.com", "youtube"),
    ("youtu.be", "youtube"),
    ("reddit.com", "reddit"),
    ("redd.it", "reddit"),
    ("tumblr.com", "tumblr"),
    ("dcinside.com", "dcinside"),
    ("instagram.com", "instagram"),
    ("facebook.com", "facebook"),
    ("fb.com", "facebook"),
    ("tiktok.com", "tiktok"),
    ("discord.com", "discord"),
    ("discord.gg", "discord"),
    ("fmkorea.com", "fmkorea"),
    ("theqoo.net", "theqoo"),
    ("ruliweb.com", "ruliweb"),
    ("clien.net", "clien"),
    ("instiz.net", "instiz"),
    ("ilbe.com", "ilbe"),
    ("pann.nate.com", "nate_pann"),
    ("arca.live", "arca"),
)

_TELEGRAM_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me"})
# Public usernames: a letter, then letters, digits or underscores, 4 to 32 characters in all.
_TELEGRAM_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
# Paths on t.me that look like usernames but are Telegram's own pages.
_TELEGRAM_RESERVED = frozenset(
    {
        "joinchat",
        "addstickers",
        "addemoji",
        "addtheme",
        "addlist",
        "share",
        "proxy",
        "socks",
        "setlanguage",
        "confirmphone",
        "login",
        "iv",
        "contact",
        "boost",
        "giftcode",
        "invoice",
    }
)


# Pure and repeated: a search result's URL is canonicalised for its key, its domain and its platform.
@lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """The identity of a page: one spelling per page, idempotent, and never an exception.

    w3lib canonicalisation (sorted query, normalised escapes, no fragment, IDNA host), then lower-case
    scheme and host, no default port, no userinfo and no tracking parameters. Every other parameter is
    kept: on Naver (`blogId`, `logNo`) and Telegram (`before`, `single`) they name the content.
    Anything that is not an http(s) URL with a host comes back with its whitespace collapsed.
    """
    # One pass is not always a fixed point on hostile input (w3lib re-escapes what it just produced),
    # so iterate until it is: the stored key must not change when it is canonicalised again.
    current = str(url)
    for _ in range(_MAX_PASSES):
        try:
            following = _canonical(current)
        except Exception:  # noqa: BLE001 - the contract is "never raises"; garbage gets a stable fallback
            following = _fallback(current)
        if following == current:
            return current
        current = following
    return ""


def _canonical(url: str) -> str:
    # As browsers do: drop surrounding controls and spaces, and tabs and newlines anywhere.
    text = url.strip(_C0_AND_SPACE).translate(_TAB_NEWLINE)
    if _CONTROL.search(text):
        return _fallback(url)
    # w3lib's canonicalisation (the dearest step of a search result's storage) leaves a plain URL as
    # it is (tests/test_urls.py checks it does): skipped for those, the rest below is the same.
    parts = urlsplit(text if is_plain_url(text) else canonicalize_url(text, keep_fragments=False))
    host = parts.hostname or ""
    if parts.scheme.lower() not in _DEFAULT_PORTS or not host or _WHITESPACE.search(host):
        return _fallback(url)
    return urlunsplit(_normalise_parts(parts))


# Most result URLs are plain: http(s), a lower-case ASCII host of ordinary labels (no `--`, which IDNA
# treats apart), no port, userinfo, query, fragment or escape, and a path of unreserved characters
# without `.` or `..` segments (w3lib resolves those).
_PLAIN_URL = re.compile(
    r"https?://(?!.*--)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?:/(?!\.\.?(?:/|$))[A-Za-z0-9._~-]*)*"
)


def is_plain_url(text: str) -> bool:
    """Whether `text` is a URL that w3lib's canonicalisation returns unchanged (see `_PLAIN_URL`)."""
    return _PLAIN_URL.fullmatch(text) is not None


def _normalise_parts(parts: SplitResult) -> SplitResult:
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port  # raises ValueError on a bad port: handled by the caller's fallback
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.split("=", 1)[0])
    )
    path = parts.path or "/"
    if host in _TELEGRAM_HOSTS:
        # `t.me/s/<channel>/<id>` (the web preview) and `t.me/<channel>/<id>` are one message.
        match = _TELEGRAM_PREVIEW_POST.fullmatch(path) or _TELEGRAM_POST.fullmatch(path)
        if match:
            path = f"/{match.group(1)}/{match.group(2)}"
            netloc = "t.me"
            query = ""  # `?single`, `?comment=`: views of the same message
    return SplitResult(scheme, netloc, path, query, "")


_TELEGRAM_PREVIEW_POST = re.compile(r"/s/([A-Za-z0-9_]{3,64})/(\d+)/?")
_TELEGRAM_POST = re.compile(r"/([A-Za-z0-9_]{3,64})/(\d+)/?")


def _is_tracking(encoded_key: str) -> bool:
    key = unquote(encoded_key.replace("+", " ")).lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _fallback(url: object) -> str:
    """A fixed point for input that is not an http(s) URL: collapsed whitespace, nothing else."""
    return " ".join(str(url).split())


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def domain_of(url: str) -> str:
    """The host without a leading `www.`, lower-case, or "" when the URL has no host."""
    host = _host(canonical_url(url))
    return host.removeprefix("www.")


# Naver's Open API gives some results as `http://openapi.naver.com/l?<token>`, a redirect to the real page.
_REDIRECT_TOKEN_PREFIXES = ("http://openapi.naver.com/l?", "https://openapi.naver.com/l?")


def is_redirect_token(url: str) -> bool:
    """Whether a URL is a search engine's redirect token rather than the page itself."""
    head, _, token = str(url).strip().partition("?")
    return bool(token) and (head + "?").lower() in _REDIRECT_TOKEN_PREFIXES


def platform_of(url: str) -> str:
    """A short platform name for reports and exports ("telegram", "naver_blog", ...), else "web"."""
    return _platform_of_host(_host(canonical_url(url)))


# Every search result asks; a night's results come from a few thousand hosts at most.
@lru_cache(maxsize=4096)
def _platform_of_host(host: str) -> str:
    for suffix, platform in _PLATFORMS:
        if host == suffix or host.endswith("." + suffix):
            return platform
    return "web"


def redact_url(url: str) -> str:
    """`scheme://host[:port]/path` with any query or fragment shown as `?…`: the form for log lines.

    Userinfo is dropped. Input that does not parse becomes a placeholder, never the input itself.
    """
    try:
        text = str(url).strip()
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        port = parts.port
    except (ValueError, TypeError):
        return "<unparseable url>"
    if not host:
        # Hostless input (data:, javascript:, garbage) may be nothing but the secret: show none of it.
        return f"{parts.scheme.lower()}:…" if parts.scheme else "<unparseable url>"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path, params, _ = parts.path.partition(";")
    hidden = "?…" if (parts.query or parts.fragment or params or "?" in text or "#" in text) else ""
    prefix = f"{parts.scheme.lower()}://" if parts.scheme else "//"
    return f"{prefix}{netloc}{path}{hidden}"


def is_telegram_host(url: str) -> bool:
    """Whether a URL points at Telegram's own host (t.me, telegram.me), whatever its path."""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    return host in _TELEGRAM_HOSTS


def telegram_channel(url: str) -> str | None:
    """The channel username of a `t.me/s/<channel>` or `t.me/<channel>[/<id>]` URL, lower-case."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or (parts.hostname or "").lower() not in _TELEGRAM_HOSTS:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and segments[0] == "s":
        segments = segments[1:]
    if not segments or len(segments) > 2:
        return None
    name = segments[0]
    if len(segments) == 2 and not segments[1].isdigit():
        return None
    if not _TELEGRAM_USERNAME.fullmatch(name) or name.lower() in _TELEGRAM_RESERVED:
        return None
    return name.lower()


def telegram_permalink(channel: str, msg_id: int) -> str:
    """The public link of one channel message, `https://t.me/<channel>/<id>`."""
    if not _TELEGRAM_USERNAME.fullmatch(channel):
        raise ValueError("not a Telegram channel username")
    if isinstance(msg_id, bool) or not isinstance(msg_id, int) or msg_id <= 0:
        raise ValueError("a Telegram message id is a positive integer")
    return f"https://t.me/{channel.lower()}/{msg_id}"


def parse_target_url(url: str) -> str:
    """Validate a URL an advocate typed in and return its canonical form, or raise InvalidURLError."""
    if not isinstance(url, str):
        raise InvalidURLError("URL must be text")
    text = url.strip()
    if not text:
        raise InvalidURLError("URL is empty")
    if len(text) > MAX_TARGET_URL_LENGTH:
        raise InvalidURLError(f"URL is longer than {MAX_TARGET_URL_LENGTH} characters")
    if _WHITESPACE.search(text) or any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise InvalidURLError("URL contains spaces or control characters")
    if "\\" in text:
        raise InvalidURLError("URL contains a backslash")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidURLError("URL has an invalid host or port") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not text.lower().startswith(("http://", "https://")):
        raise InvalidURLError("URL must start with http:// or https://")
    if "@" in parts.netloc:
        raise InvalidURLError("URL must not contain a user name or password")
    if not parts.hostname:
        raise InvalidURLError("URL has no host")
    if port == 0:
        raise InvalidURLError("URL has an invalid host or port")
    canonical = canonical_url(text)
    if not canonical.startswith(("http://", "https://")):
        raise InvalidURLError("URL has an invalid host")
    return canonical
