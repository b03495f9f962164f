"""Readable text from pages and messages from Telegram channel previews, as pure functions.

Everything here takes hostile input (threat T8): bytes in a charset the server lies about, invalid
UTF-8, nesting thousands of levels deep, megabytes of script. Nothing raises on bad markup, nothing
recurses in Python, input and output are capped, and media is only ever *noticed* (never a URL).

libxml2 stops building the tree at 256 levels and drops everything after that point, which would
let a page hide text behind deep nesting; such documents are read by a flat, linear tag scanner
instead, and the result is marked `truncated`.
"""

from __future__ import annotations

import copy
import hashlib
import html as html_entities
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import lxml.html  # type: ignore[import-untyped]  # no lxml-stubs in the lock file
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from storage.urls import telegram_permalink

MAX_HTML_CHARS = 5_000_000
MAX_TEXT_CHARS = 200_000
MAX_TITLE_CHARS = 1_000
# libxml2 builds at most 256 levels; a tree reaching this deep may have lost what followed.
MAX_TREE_DEPTH = 250

# Never readable text: code, chrome around the content, forms, and embedded media.
DROPPED_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "svg",
    "iframe",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "picture",
    "map",
    "button",
    "select",
    "head",
)
_RAW_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "textarea", "title", "xmp"})
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "body",
        "html",
    }
)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_TAG_NAME = re.compile(r"/?\s*([a-zA-Z][a-zA-Z0-9:-]*)")
_APP_SHELL_IDS = frozenset(
    {"root", "app", "__next", "__nuxt", "___gatsby", "main-app", "svelte", "react-root"}
)
_SCRIPT_ONLY_TEXT = 200


@dataclass(frozen=True)
class ExtractedPage:
    """A page's title and readable text; `truncated` when input, nesting or text hit a limit."""

    title: str
    text: str
    encoding: str
    truncated: bool = False


@dataclass(frozen=True)
class TelegramMessage:
    """One message of a public channel preview: its own text, never a media URL."""

    id: int
    channel: str
    text: str
    date: datetime | None
    permalink: str
    has_media: bool


@dataclass(frozen=True)
class TelegramPage:
    """Messages in page order; `prev_before` pages back to older ones; no channel info: no preview."""

    messages: tuple[TelegramMessage, ...]
    prev_before: int | None
    has_channel_info: bool


def text_sha256(text: str) -> str:
    """Hex SHA-256 of the text as UTF-8 (invalid surrogates replaced), to notice changed pages."""
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


# --- decoding -----------------------------------------------------------------------------------


def decode_html(body: str | bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Never raises: a declared charset is believed only if it decodes.

    Order: byte-order mark; strict UTF-8 (a lying `latin-1` header on UTF-8 is common, and valid
    non-ASCII UTF-8 is almost never an accident); the declared encoding; the `<meta>` charset;
    cp949 (Korean); and last the declared or UTF-8 encoding with replacement characters.
    """
    if isinstance(body, str):
        return body, "unicode"
    bom, mark = read_bom(body)
    if bom:
        return body[len(mark or b"") :].decode(bom, errors="replace"), bom
    candidates = ["utf-8", _codec(encoding), _codec(html_body_declared_encoding(body[:4096])), "cp949"]
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            return body.decode(candidate), candidate
        except (UnicodeDecodeError, LookupError):
            continue
    fallback = _codec(encoding) or "utf-8"
    return body.decode(fallback, errors="replace"), fallback


def _codec(name: str | None) -> str | None:
    """A Python codec for a charset label (WHATWG aliases), or None; UTF-7 and unknown labels refused."""
    if not name:
        return None
    try:
        return resolve_encoding(name.strip().strip("\"'"))
    except (LookupError, ValueError, TypeError):
        return None


def _prepare(body: str | bytes, encoding: str | None) -> tuple[str, str, bool]:
    text, used = decode_html(body, encoding)
    truncated = len(text) > MAX_HTML_CHARS
    text = text[:MAX_HTML_CHARS]
    if isinstance(body, str):
        # Lone surrogates cannot be stored or parsed; bytes input never has them (decoded above).
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    return _CONTROL_CHARS.sub(" ", text), used, truncated


def _parse(text: str) -> tuple[etree._Element | None, bool]:
    """(document tree, too deep): no tree when libxml2 has none, or cannot be trusted with it."""
    if not text.strip():
        return None, False
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None, False
    if _max_depth(root) >= MAX_TREE_DEPTH:
        return None, True
    return root, False


def _max_depth(root: etree._Element) -> int:
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


# --- pages --------------------------------------------------------------------------------------


def extract_text(html: str | bytes, encoding: str | None = None) -> ExtractedPage:
    """Title and readable text of a page: no scripts, styles or page chrome; article/main preferred."""
    text, used, truncated = _prepare(html, encoding)
    root, too_deep = _parse(text)
    if root is None:
        title, body_text = _scan_text(text)
        return _page(title, body_text, used, truncated or too_deep)
    title = _title_of(root)
    content = _content_root(root)
    body_text = _element_text(content)
    if not body_text and content is not root:
        body_text = _element_text(root)
    return _page(title, body_text, used, truncated)


def _page(title: str, text: str, encoding: str, truncated: bool) -> ExtractedPage:
    title = " ".join(title.split())[:MAX_TITLE_CHARS]
    if len(text) > MAX_TEXT_CHARS:
        text, truncated = text[:MAX_TEXT_CHARS], True
    return ExtractedPage(title=title, text=text, encoding=encoding, truncated=truncated)


def _title_of(root: etree._Element) -> str:
    for title in root.iter("title"):
        return str(title.text_content())
    for heading in root.iter("h1"):
        return str(heading.text_content())
    return ""


def _content_root(root: etree._Element) -> etree._Element:
    """The single <main>, else a wrapper around every <article>, else the document."""
    mains = list(root.iter("main"))
    if len(mains) == 1:
        return mains[0]
    articles = [article for article in root.iter("article") if not _has_ancestor(article, "article")]
    if articles:
        wrapper = lxml.html.Element("div")
        for article in articles:
            wrapper.append(article)  # moves it: the tree is ours, built for this call
        return wrapper
    return root


def _has_ancestor(element: etree._Element, tag: str) -> bool:
    return any(ancestor.tag == tag for ancestor in element.iterancestors())


def _element_text(element: etree._Element) -> str:
    """Visible text, a line per block element, without recursion."""
    etree.strip_elements(element, *DROPPED_TAGS, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    pieces: list[str] = []
    size = 0
    for event, node in etree.iterwalk(element, events=("start", "end")):
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BLOCK_TAGS:
            pieces.append("\n")
        if event == "start" and node.text:
            pieces.append(node.text)
            size += len(node.text)
        elif event == "end" and node is not element and node.tail:
            pieces.append(node.tail)
            size += len(node.tail)
        if size > MAX_TEXT_CHARS * 2:
            break
    return _tidy("".join(pieces))


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def _scan_text(text: str) -> tuple[str, str]:
    """(title, text) by a flat, linear scan of the tags: for documents libxml2 cannot hold."""
    lower = text.lower()
    pieces: list[str] = []
    title = ""
    position, length = 0, len(text)
    while position < length:
        start = text.find("<", position)
        if start < 0:
            pieces.append(text[position:])
            break
        pieces.append(text[position:start])
        if text.startswith("<!--", start):
            end = text.find("-->", start + 4)
            position = length if end < 0 else end + 3
            continue
        close = text.find(">", start + 1)
        if close < 0:
            break
        match = _TAG_NAME.match(text, start + 1, close)
        name = match.group(1).lower() if match else ""
        is_end_tag = text.startswith("</", start)
        position = close + 1
        if name in _BLOCK_TAGS:
            pieces.append("\n")
        if name in _RAW_TEXT_TAGS and not is_end_tag and not text.endswith("/", start, close):
            end = lower.find(f"</{name}", position)
            inner_end = length if end < 0 else end
            if name == "title" and not title:
                title = html_entities.unescape(text[position:inner_end])
            close_end = text.find(">", inner_end)
            position = length if end < 0 or close_end < 0 else close_end + 1
    return title, _tidy(html_entities.unescape("".join(pieces)))


def looks_script_only(html: str | bytes, encoding: str | None = None) -> bool:
    """Whether a page is an app shell (almost no text, big scripts or an empty root div).

    The page spider renders such pages in the browser; ordinary pages stay on the plain path.
    """
    text, _, _ = _prepare(html, encoding)
    root, _ = _parse(text)
    if root is None:
        return False
    scripts = [script for script in root.iter("script") if _is_javascript(script)]
    script_chars = sum(len(script.text or "") for script in scripts)
    external = sum(1 for script in scripts if script.get("src"))
    noscript = " ".join(element.text_content() for element in root.iter("noscript")).lower()
    app_shell = _has_app_shell(root)
    visible = len(_element_text(root))
    if visible >= _SCRIPT_ONLY_TEXT:
        return False
    if app_shell or script_chars > 2_000 or external >= 2:
        return True
    # "Please enable JavaScript" alone is common on ordinary pages; only an almost empty one counts.
    return "javascript" in noscript and visible < _SCRIPT_ONLY_TEXT // 4


def _is_javascript(script: etree._Element) -> bool:
    kind = (script.get("type") or "").lower()
    return kind in ("", "module", "text/javascript", "application/javascript")


def _has_app_shell(root: etree._Element) -> bool:
    for body in root.iter("body"):
        children = [child for child in body if isinstance(child.tag, str) and child.tag not in DROPPED_TAGS]
        if len(children) == 1 and children[0].get("id", "").lower() in _APP_SHELL_IDS:
            return True
        if any(
            element.get("id", "").lower() in _APP_SHELL_IDS and not element.text_content().strip()
            for element in body.iter("div")
        ):
            return True
    return False


# --- Telegram channel previews ---------------------------------------------------------------------

_MESSAGE = "tgme_widget_message"
_OWN_TEXT_BLOCKERS = (
    "tgme_widget_message_reply",
    "tgme_widget_message_link_preview",
    "tgme_widget_message_poll",
)
_MEDIA_CLASSES = (
    "tgme_widget_message_photo_wrap",
    "tgme_widget_message_video_player",
    "tgme_widget_message_video_wrap",
    "tgme_widget_message_roundvideo_player",
    "tgme_widget_message_sticker_wrap",
    "tgme_widget_message_sticker",
    "tgme_widget_message_document",
    "tgme_widget_message_document_wrap",
    "tgme_widget_message_voice",
    "tgme_widget_message_voice_player",
    "tgme_widget_message_audio",
    "tgme_widget_message_grouped_wrap",
)
_DATA_POST = re.compile(r"([A-Za-z][A-Za-z0-9_]{3,31})/([0-9]{1,12})")


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def parse_telegram_page(html: str | bytes, encoding: str | None = None) -> TelegramPage:
    """Messages of a `t.me/s/<channel>` page, their own text only; media noticed, never linked."""
    text, _, _ = _prepare(html, encoding)
    root, _ = _parse(text)
    if root is None:
        return TelegramPage(messages=(), prev_before=None, has_channel_info=False)
    messages = []
    for element in root.iter("div"):
        if _MESSAGE in _classes(element) and element.get("data-post"):
            message = _message(element)
            if message is not None:
                messages.append(message)
    has_info = any("tgme_channel_info" in _classes(element) for element in root.iter())
    return TelegramPage(messages=tuple(messages), prev_before=_prev_before(root), has_channel_info=has_info)


def _message(element: etree._Element) -> TelegramMessage | None:
    match = _DATA_POST.fullmatch(element.get("data-post", "").strip())
    if match is None:
        return None
    channel, message_id = match.group(1).lower(), int(match.group(2))
    if message_id <= 0:
        return None
    own_text = ""
    has_media = False
    date = None
    for node in element.iter():
        if not isinstance(node.tag, str) or _inside(node, element, _OWN_TEXT_BLOCKERS):
            continue
        classes = _classes(node)
        if classes & set(_MEDIA_CLASSES):
            has_media = True
        if not own_text and "tgme_widget_message_text" in classes and "js-message_reply_text" not in classes:
            own_text = _element_text(_copy(node))
        if date is None and "tgme_widget_message_date" in classes:
            date = _message_date(node)
    return TelegramMessage(
        id=message_id,
        channel=channel,
        text=own_text[:MAX_TEXT_CHARS],
        date=date,
        permalink=telegram_permalink(channel, message_id),
        has_media=has_media,
    )


def _inside(node: etree._Element, message: etree._Element, blockers: tuple[str, ...]) -> bool:
    """Whether `node` sits in a quoted reply, link preview or poll of this message (or is one)."""
    current: etree._Element | None = node
    while current is not None and current is not message:
        classes = _classes(current)
        if any(blocker in classes for blocker in blockers):
            return True
        if current is not node and _MESSAGE in classes:
            return True  # a message nested in another: its own parse handles it
        current = current.getparent()
    return False


def _copy(element: etree._Element) -> etree._Element:
    """A detached copy, so stripping markup for text leaves the page tree intact."""
    return copy.deepcopy(element)


def _message_date(link: etree._Element) -> datetime | None:
    for time_element in link.iter("time"):
        value = (time_element.get("datetime") or "").strip()
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def _prev_before(root: etree._Element) -> int | None:
    for link in root.iter("link"):
        if (link.get("rel") or "").lower() == "prev":
            before = _before_param(link.get("href") or "")
            if before is not None:
                return before
    for anchor in root.iter("a"):
        if "tme_messages_more" in _classes(anchor):
            value = (anchor.get("data-before") or "").strip()
            if value.isascii() and value.isdigit():
                return int(value)
    return None


def _before_param(href: str) -> int | None:
    try:
        values = parse_qs(urlsplit(href).query).get("before", [])
    except ValueError:
        return None
    value = values[0].strip() if values else ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None
