"""The media guard (threat T7): no image, video, audio or file is ever downloaded.

Four layers on the plain Scrapy path: `MediaGuardMiddleware` never sends a request whose URL path
names a media file; `MediaGuardExtension` stops a download once its headers arrive when the
`Content-Type` is not text, and stops it at the first bytes when `sniff.media_kind` says media (a
server that labels a JPEG `text/html`, behind whitespace, a BOM or junk); `MediaSniffMiddleware`
sniffs the decoded body once more before any spider sees it. A stop raises `MediaStoppedError`, a
`StopDownload(fail=True)`: Scrapy closes the connection and calls the request's errback with the
truncated response in `failure.value.response` (body empty when stopped at the headers).
The browser path has its own guard in `browser.py` (it fires no `headers_received`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from posixpath import splitext
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from scrapy import signals
from scrapy.http import Request, Response
from scrapy.pipelines.media import MediaPipeline
from scrapy.utils.misc import load_object

from crawler.safety.errors import MediaStoppedError, RefusedRequestError
from crawler.safety.sniff import SNIFF_WINDOW, HeadSniffer, media_kind

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http.headers import Headers
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

# Lower-case path extensions, without the dot.
MEDIA_EXTENSIONS = frozenset(
    {
        # images
        "jpg",
        "jpeg",
        "jpe",
        "jfif",
        "pjpeg",
        "pjp",
        "png",
        "apng",
        "gif",
        "webp",
        "avif",
        "heic",
        "heif",
        "bmp",
        "dib",
        "tif",
        "tiff",
        "ico",
        "cur",
        "svg",
        "svgz",
        "psd",
        "jxl",
        "jp2",
        "raw",
        "cr2",
        "nef",
        "arw",
        "dng",
        # video, streaming playlists and segments
        "mp4",
        "m4v",
        "m4s",
        "mov",
        "qt",
        "avi",
        "wmv",
        "asf",
        "flv",
        "f4v",
        "mkv",
        "webm",
        "mpg",
        "mpeg",
        "mpe",
        "m2v",
        "m2ts",
        "mts",
        "ts",
        "3gp",
        "3g2",
        "ogv",
        "vob",
        "rm",
        "rmvb",
        "divx",
        "m3u8",
        "mpd",
        # audio
        "mp3",
        "m4a",
        "aac",
        "wav",
        "flac",
        "ogg",
        "oga",
        "opus",
        "wma",
        "mid",
        "midi",
        "amr",
        "aiff",
        "aif",
        # archives and disk images
        "zip",
        "rar",
        "7z",
        "tar",
        "gz",
        "tgz",
        "bz2",
        "tbz2",
        "xz",
        "txz",
        "zst",
        "lz",
        "lzma",
        "cab",
        "iso",
        "dmg",
        "img",
        # documents
        "pdf",
        "doc",
        "docx",
        "docm",
        "xls",
        "xlsx",
        "xlsm",
        "ppt",
        "pptx",
        "pps",
        "ppsx",
        "odt",
        "ods",
        "odp",
        "rtf",
        "hwp",
        "hwpx",
        "epub",
        "djvu",
        # programs and packages
        "apk",
        "xapk",
        "ipa",
        "exe",
        "msi",
        "dll",
        "bin",
        "deb",
        "rpm",
        "jar",
        "appimage",
        "scr",
        "torrent",
        "swf",
        # fonts
        "woff",
        "woff2",
        "ttf",
        "otf",
        "eot",
    }
)

_TEXT_APPLICATION_TYPES = frozenset(
    {
        "application/xhtml+xml",
        "application/xml",
        "application/json",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/ld+json",
        "application/javascript",
        "application/x-javascript",
    }
)


def is_media_url(url: str) -> bool:
    """Whether the URL's path ends in a media, archive, document, program or font file name.

    Only the extension counts: `/file/123` or `/video/123` may well be an HTML page.
    """
    try:
        path = unquote(urlsplit(str(url).strip()).path)
    except ValueError:
        return False
    last_segment = path.split(";", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    extension = splitext(last_segment)[1].lower().lstrip(".")
    return extension in MEDIA_EXTENSIONS


def is_text_content_type(content_type: str | bytes | None) -> bool:
    """Whether a Content-Type is text we may read: text/*, (X)HTML, XML, JSON, RSS/Atom.

    A missing or empty type is allowed (many servers omit it); the body stays bounded by
    DOWNLOAD_MAXSIZE and the first bytes are still checked for media signatures.
    """
    if content_type is None:
        return True
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not media_type:
        return True
    if media_type.startswith("text/"):
        return True
    if media_type in _TEXT_APPLICATION_TYPES:
        return True
    return media_type.startswith("application/") and media_type.endswith(("+json", "+xml"))


def looks_like_media(first_bytes: bytes) -> bool:
    """Whether a body's first bytes are an image, video, audio, archive or document (`sniff.media_kind`)."""
    return media_kind(first_bytes) is not None


def verify_no_media_pipelines(settings: BaseSettings) -> None:
    """Scrapy's Files/Images pipelines download every URL an item names: refuse to start with one."""
    for path in settings.getwithbase("ITEM_PIPELINES"):
        pipeline = load_object(path) if isinstance(path, str) else path
        if isinstance(pipeline, type) and issubclass(pipeline, MediaPipeline):
            raise TypeError("ITEM_PIPELINES: Scrapy's media pipelines (Files/Images) download media")


class MediaGuardMiddleware:
    """Downloader middleware: a request whose URL names a media file is never sent."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MediaGuardMiddleware:
        verify_no_media_pipelines(crawler.settings)
        return cls(crawler.stats)

    def process_request(self, request: Request) -> None:
        if is_media_url(request.url):
            self.stats.inc_value("jikimi/media/refused")
            raise RefusedRequestError("media_url", "media URL not fetched")

    def process_response(self, request: Request, response: Response) -> Response:
        # The browser fires no headers_received: a rendered page that was not text (a video opened
        # as a document) is at least never handed to the spider.
        if "playwright" in response.flags:
            content_types = response.headers.getlist(b"Content-Type")
            if not all(is_text_content_type(value) for value in content_types):
                self.stats.inc_value("jikimi/media/stopped")
                self.stats.inc_value("jikimi/media/stopped/browser_content_type")
                raise RefusedRequestError("media_browser_content_type", "media content-type in the browser")
        return response


class MediaGuardExtension:
    """Stops a download at its headers (non-text Content-Type) or first bytes (sniffed as media)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        # The sniffer of each request in flight (a retry is a new Request object).
        self._sniffers: weakref.WeakKeyDictionary[Request, HeadSniffer] = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MediaGuardExtension:
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.headers_received, signal=signals.headers_received)
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        return extension

    def headers_received(self, headers: Headers, body_length: int, request: Request, **kwargs: Any) -> None:
        content_types: Iterable[bytes] = headers.getlist(b"Content-Type")
        if not all(is_text_content_type(value) for value in content_types):
            self._stop("content_type", "media content-type stopped")
        # The first bytes are sniffed as the page would see them: decoded from gzip, brotli, ...
        coding = b",".join(headers.getlist(b"Content-Encoding")).decode("latin-1")
        self._sniffers[request] = HeadSniffer(coding)

    def bytes_received(self, data: bytes, request: Request, **kwargs: Any) -> None:
        sniffer = self._sniffers.get(request)
        if sniffer is None:
            sniffer = self._sniffers[request] = HeadSniffer()
        # A slow server may send the first bytes one at a time: the sniffer collects them.
        kind = sniffer.feed(data)
        if kind == "binary":
            self._stop("binary", "non-text content stopped at its first bytes")
        if kind is not None:
            self._stop("magic_bytes", "media content stopped at its first bytes")

    def _stop(self, how: str, reason: str) -> None:
        self.stats.inc_value("jikimi/media/stopped")
        self.stats.inc_value(f"jikimi/media/stopped/{how}")
        raise MediaStoppedError(f"media_{how}", reason)


class MediaSniffMiddleware:
    """Downloader middleware: the whole (decoded) body is sniffed before any spider reads it.

    It sits below HttpCompressionMiddleware, so it sees what a coding the extension could not
    decode early hid, a body shorter than the sniff window, and every rendered page.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MediaSniffMiddleware:
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        body = response.body
        kind = media_kind(body[:SNIFF_WINDOW], complete=len(body) <= SNIFF_WINDOW) if body else None
        if kind is None:
            return response
        how = "binary" if kind == "binary" else "magic_bytes"
        self.stats.inc_value("jikimi/media/stopped")
        self.stats.inc_value(f"jikimi/media/stopped/{how}")
        raise RefusedRequestError(f"media_{how}", "media content refused after decoding")
