"""Public channel previews as t.me serves them, mounted under /telegram.

`[sources.telegram] base_url = {root}/telegram` maps `https://t.me/s/<channel>` to
`{root}/telegram/s/<channel>`. Markup follows the real preview: about 20 messages a page in
ascending id order, `?before=<id>` (exclusive) for older ones with `<link rel="prev">` and
`a.tme_messages_more[data-before]`, the end shown by an empty list or no `rel=prev`. Paging links are
written against the mount point (`/telegram/s/...`) the way t.me writes them against its root.
A channel without a public preview, or an unknown one, gets the "Telegram: Contact @x" page.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape

from sandbox.exchange import Request, Response, html_response, not_found
from sandbox.telegram_data import CHANNELS, ChannelSeed, MessageSeed

PAGE_SIZE = 20
_LINK = re.compile(r"(https?://[^\s<]+|@[A-Za-z0-9_.]{3,})")


@dataclass(frozen=True)
class Message:
    id: int
    date: datetime
    views: int
    seed: MessageSeed


@dataclass
class Channel:
    name: str
    title: str
    description: str
    messages: list[Message] = field(default_factory=list)


def _from_seed(name: str, seed: ChannelSeed, now: datetime) -> Channel:
    channel = Channel(name, seed.title, seed.description)
    for number in range(1, seed.last_id + 1):
        if number in seed.deleted:
            continue
        message = seed.special.get(number) or MessageSeed(seed.filler[number % len(seed.filler)])
        date = (now - timedelta(hours=6 * (seed.last_id - number), minutes=10)).replace(microsecond=0)
        channel.messages.append(Message(number, date, 280 + number * 37, message))
    return channel


class ChannelStore:
    """Thread-safe channels; `post` appends a message with the next id, as a new post would."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        now = datetime.now(UTC)
        self._channels = {name: _from_seed(name, seed, now) for name, seed in CHANNELS.items()}

    def get(self, name: str) -> Channel | None:
        with self._lock:
            channel = self._channels.get(name.lower())
            if channel is None:
                return None
            return Channel(channel.name, channel.title, channel.description, list(channel.messages))

    def post(self, name: str, text: str) -> int:
        with self._lock:
            channel = self._channels.setdefault(name.lower(), Channel(name.lower(), name, ""))
            number = channel.messages[-1].id + 1 if channel.messages else 1
            date = datetime.now(UTC).replace(microsecond=0)
            channel.messages.append(Message(number, date, 1, MessageSeed(text)))
            return number


def handle(store: ChannelStore, root: str, request: Request) -> Response:
    parts = [p for p in request.path.split("/")[2:] if p]
    if len(parts) in (2, 3) and parts[0] == "s":
        channel = store.get(parts[1])
        if channel is None:
            return html_response(200, _contact_page(parts[1]))
        around = _int(parts[2]) if len(parts) == 3 else None
        return html_response(200, _preview_page(channel, root, request, around))
    if len(parts) == 2 and parts[1].isdigit():
        channel = store.get(parts[0])
        return html_response(200, _post_page(channel, parts[0], int(parts[1])))
    if len(parts) == 1:
        return html_response(200, _contact_page(parts[0]))
    return not_found()


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _window(
    messages: list[Message], before: int | None, after: int | None, around: int | None
) -> list[Message]:
    if before is not None:
        return [m for m in messages if m.id < before][-PAGE_SIZE:]
    if after is not None:
        return [m for m in messages if m.id > after][:PAGE_SIZE]
    if around is not None:
        index = next((i for i, m in enumerate(messages) if m.id >= around), len(messages))
        start = max(0, index - PAGE_SIZE // 2)
        return messages[start : start + PAGE_SIZE]
    return messages[-PAGE_SIZE:]


def _preview_page(channel: Channel, root: str, request: Request, around: int | None) -> str:
    before, after = _int(request.param("before")), _int(request.param("after"))
    page = _window(channel.messages, before, after, around)
    base = f"/telegram/s/{channel.name}"
    older = bool(page) and page[0].id > channel.messages[0].id
    newer = bool(page) and page[-1].id < channel.messages[-1].id
    links = []
    top = bottom = ""
    if older:
        links.append(f'<link rel="prev" href="{base}?before={page[0].id}">')
        top = (
            '<div class="tgme_widget_message_centered js-messages_more_wrap">'
            f'<a href="{base}?before={page[0].id}" class="tme_messages_more js-messages_more" '
            f'data-before="{page[0].id}"></a></div>'
        )
    if newer:
        links.append(f'<link rel="next" href="{base}?after={page[-1].id}">')
        bottom = (
            '<div class="tgme_widget_message_centered js-messages_more_wrap">'
            f'<a href="{base}?after={page[-1].id}" class="tme_messages_more js-messages_more" '
            f'data-after="{page[-1].id}"></a></div>'
        )
    messages = "\n".join(_message_html(channel, root, m) for m in page)
    title = escape(channel.title)
    head_links = "\n    ".join(links)
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{title} – Telegram</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <meta property="og:title" content="{title}">
    <meta property="og:image" content="{root}/media/telegram/userpic-{channel.name}.jpg">
    <meta property="og:description" content="{escape(channel.description)}">
    <link rel="canonical" href="https://t.me/s/{channel.name}">
    {head_links}
  </head>
  <body class="widget_frame_base tgme_webpage_body emoji_image">
    <header class="tgme_header search_collapsed"><div class="tgme_header_title">{title}</div></header>
    <div class="tgme_channel_info">
      <div class="tgme_channel_info_header">
        <i class="tgme_page_photo_image"><img src="{root}/media/telegram/userpic-{channel.name}.jpg"></i>
        <div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div>
        <div class="tgme_channel_info_header_username"><a href="https://t.me/{channel.name}">@{channel.name}</a></div>
      </div>
      <div class="tgme_channel_info_description">{escape(channel.description)}</div>
      <div class="tgme_channel_info_counters"><div class="tgme_channel_info_counter"><span
        class="counter_value">1.2K</span> <span class="counter_type">subscribers</span></div></div>
    </div>
    <main class="tgme_main">
      <section class="tgme_channel_history js-message_history">
{top}
{messages}
{bottom}
      </section>
    </main>
  </body>
</html>
"""


def _text_html(text: str) -> str:
    """Escaped text with links and @mentions turned into anchors and line breaks into <br/>."""
    out: list[str] = []
    last = 0
    for found in _LINK.finditer(text):
        out.append(escape(text[last : found.start()]))
        token = found.group(0)
        href = token if token.startswith("http") else f"https://t.me/{token[1:]}"
        out.append(f'<a href="{escape(href)}" target="_blank" rel="noopener">{escape(token)}</a>')
        last = found.end()
    out.append(escape(text[last:]))
    return "".join(out).replace("\n", "<br/>")


def _views(count: int) -> str:
    return f"{count / 1000:.1f}K" if count >= 1000 else str(count)


def _media_html(channel: Channel, root: str, message: Message) -> str:
    kind, number = message.seed.media, message.id
    link = f"https://t.me/{channel.name}/{number}"
    media = f"{root}/media/telegram/{channel.name}-{number}"
    if kind == "photo":
        return (
            f'<a class="tgme_widget_message_photo_wrap blured" href="{link}" '
            f"style=\"width:800px;background-image:url('{media}.jpg')\">"
            '<div class="tgme_widget_message_photo" style="padding-top:75%"></div></a>'
        )
    if kind == "album":
        photos = "".join(
            f'<a class="tgme_widget_message_photo_wrap grouped_media_wrap blured js-message_photo" '
            f'href="{link}?single" style="width:225px;height:453px;'
            f"background-image:url('{media}-{i}.jpg')\"></a>"
            for i in (1, 2)
        )
        return (
            '<div class="tgme_widget_message_grouped_wrap js-message_grouped_wrap">'
            f'<div class="tgme_widget_message_grouped js-message_grouped">{photos}</div></div>'
        )
    if kind == "video":
        return (
            f'<a class="tgme_widget_message_video_player blured js-message_video_player" href="{link}">'
            '<i class="tgme_widget_message_video_thumb" '
            f"style=\"background-image:url('{media}-thumb.jpg')\"></i>"
            '<div class="tgme_widget_message_video_wrap" style="width:720px;padding-top:56.25%">'
            f'<video src="{media}.mp4" class="tgme_widget_message_video js-message_video" width="100%" '
            'height="100%"></video></div>'
            '<time class="message_video_duration js-message_video_duration">0:29</time></a>'
        )
    if kind == "roundvideo":
        return (
            '<div class="tgme_widget_message_roundvideo_player js-message_roundvideo_player">'
            '<video class="tgme_widget_message_roundvideo js-message_roundvideo" '
            f'src="{media}.mp4"></video></div>'
        )
    if kind == "sticker":
        return (
            f'<div class="tgme_widget_message_sticker_wrap media_supported_cont"><a href="{link}">'
            '<i class="tgme_widget_message_sticker js-sticker_image" '
            f"style=\"background-image:url('{media}.webp')\" "
            f'data-webp="{media}.webp"></i></a></div>'
        )
    if kind == "document":
        return (
            '<div class="tgme_widget_message_document_wrap">'
            f'<a class="tgme_widget_message_document" href="{link}">'
            '<div class="tgme_widget_message_document_icon accent_bgcolor"></div>'
            '<div class="tgme_widget_message_document_title accent_color" dir="auto">'
            f"{escape(message.seed.document_name)}</div>"
            '<div class="tgme_widget_message_document_extra" dir="auto">1.2 MB</div></a></div>'
        )
    if kind == "voice":
        return (
            f'<a class="tgme_widget_message_voice_player js-message_voice_player" href="{link}">'
            '<audio class="tgme_widget_message_voice js-message_voice" '
            f'src="{media}.ogg" preload="none"></audio>'
            '<time class="tgme_widget_message_voice_duration">0:12</time></a>'
        )
    return ""


def _message_html(channel: Channel, root: str, message: Message) -> str:
    seed, number = message.seed, message.id
    link = f"https://t.me/{channel.name}/{number}"
    user_photo = f"{root}/media/telegram/userpic-{channel.name}.jpg"
    parts = [
        (
            '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            '<div class="tgme_widget_message text_not_supported_wrap js-widget_message" '
            f'data-post="{channel.name}/{number}">'
        ),
        (
            f'<div class="tgme_widget_message_user"><a href="https://t.me/{channel.name}">'
            f'<i class="tgme_widget_message_user_photo bgcolor1"><img src="{user_photo}"></i></a></div>'
        ),
        '<div class="tgme_widget_message_bubble">',
        (
            '<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
            f'href="https://t.me/{channel.name}"><span dir="auto">{escape(channel.title)}</span></a></div>'
        ),
    ]
    if seed.forwarded_from:
        parts.append(
            '<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from '
            f'<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/ganada_news">'
            f'<span dir="auto">{escape(seed.forwarded_from)}</span></a></div>'
        )
    if seed.reply_to is not None:
        reply_id, quoted = seed.reply_to
        # The quote shares the text class; only js-message_text marks the message's own words.
        parts.append(
            f'<a class="tgme_widget_message_reply" href="https://t.me/{channel.name}/{reply_id}">'
            '<div class="tgme_widget_message_author accent_color">'
            '<span class="tgme_widget_message_author_name" '
            f'dir="auto">{escape(channel.title)}</span></div>'
            '<div class="tgme_widget_message_text js-message_reply_text" dir="auto">'
            f"{_text_html(quoted)}</div></a>"
        )
    parts.append(_media_html(channel, root, message))
    if seed.text:
        text = (
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{_text_html(seed.text)}</div>'
        )
        # Album posts nest the text div inside a second one with the same classes.
        if seed.media == "album":
            text = f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
        parts.append(text)
    if seed.preview is not None:
        site, description = seed.preview
        parts.append(
            f'<a class="tgme_widget_message_link_preview" href="{escape(seed.text)}">'
            f'<div class="link_preview_site_name accent_color" dir="auto">{escape(site)}</div>'
            f'<div class="link_preview_description" dir="auto">{escape(description)}</div></a>'
        )
    parts.append(
        '<div class="tgme_widget_message_footer compact js-message_footer">'
        '<div class="tgme_widget_message_info short js-message_info">'
        f'<span class="tgme_widget_message_views">{_views(message.views)}</span>'
        '<span class="copyonly"> views</span>'
        f'<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="{link}">'
        f'<time datetime="{message.date.isoformat()}" class="time">{message.date:%H:%M}</time>'
        "</a></span></div></div>"
    )
    parts.append("</div></div></div>")
    return "\n".join(p for p in parts if p)


def _contact_page(name: str) -> str:
    name = escape(name)
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Telegram: Contact @{name}</title>
    <meta property="og:title" content="{name}">
    <meta property="og:description" content="You can contact @{name} right away.">
  </head>
  <body class="no_transition">
    <div class="tgme_page_wrap"><div class="tgme_body_wrap"><div class="tgme_page">
      <div class="tgme_page_title"><span dir="auto">{name}</span></div>
      <div class="tgme_page_extra">@{name}</div>
      <div class="tgme_page_description">If you have <strong>Telegram</strong>, you can contact
        <a class="tgme_username_link" href="tg://resolve?domain={name}">@{name}</a> right away.</div>
      <div class="tgme_page_action"><a class="tgme_action_button_new shine"
        href="tg://resolve?domain={name}">Send Message</a></div>
    </div></div></div>
  </body>
</html>
"""


def _post_page(channel: Channel | None, name: str, number: int) -> str:
    """`t.me/<channel>/<id>`: the single-post page, whose og:description carries the text."""
    message = next((m for m in channel.messages if m.id == number), None) if channel else None
    if channel is None or message is None:
        return _contact_page(name)
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{escape(channel.title)} – Telegram</title>
    <meta property="og:title" content="{escape(channel.title)}">
    <meta property="og:description" content="{escape(message.seed.text)}">
    <link rel="canonical" href="https://t.me/{channel.name}/{number}">
  </head>
  <body><div class="tgme_page_widget" data-post="{channel.name}/{number}"></div></body>
</html>
"""
