"""The media guard (threat T7): no image, video, audio or file is ever downloaded.

Three layers on the plain Scrapy path: `MediaGuardMiddleware` never sends a request whose URL path
names a media file; `MediaGuardExtension` stops a download once its headers arrive when the
`Content-Type` is not text, and stops it at the first bytes when they are a known media signature
(a server that labels a JPEG `text/html`). A stop raises `MediaStoppedError`, a
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

# Bodies that are not text whatever their Content-Type says: (offset, signature).
_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (8, b"WEBP"),  # RIFF....WEBP
    (8, b"AVI "),
    (8, b"WAVE"),
    (4, b"ftyp"),  # MP4, MOV, HEIC, AVIF, 3GP, M4A
    (0, b"\x1aE\xdf\xa3"),  # Matroska, WebM
    (0, b"ID3"),  # MP3
    (0, b"OggS"),
    (0, b"fLaC"),
    (0, b"FLV\x01"),
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream
    (0, b"\x00\x00\x01\xb3"),  # MPEG video
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"),  # ASF, WMV
    (0, b"%PDF-"),
    (0, b"PK\x03\x04"),  # zip, office documents, APK
    (0, b"Rar!\x1a\x07"),
    (0, b"7z\xbc\xaf\x27\x1c"),
    (0, b"II*\x00"),  # TIFF
    (0, b"MM\x00*"),
    (0, b"\x00\x00\x01\x00"),  # ICO
    (0, b"wOFF"),
    (0, b"wOF2"),
)

_SNIFF_BYTES = max(offset + len(magic) for offset, magic in _MAGIC)

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
    """Whether a body starts with the signature of an image, video, audio, archive or document."""
    return any(first_bytes[offset : offset + len(magic)] == magic for offset, magic in _MAGIC)


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
    """Stops a download at its headers (non-text Content-Type) or first bytes (media signature)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        # The first body bytes of each request in flight (a retry is a new Request object).
        self._heads: weakref.WeakKeyDictionary[Request, bytes] = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MediaGuardExtension:
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.headers_received, signal=signals.headers_received)
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        return extension

    def headers_received(self, headers: Headers, body_length: int, request: Request, **kwargs: Any) -> None:
        content_types: Iterable[bytes] = headers.getlist(b"Content-Type")
        if all(is_text_content_type(value) for value in content_types):
            return
        self._stop("content_type", "media content-type stopped")

    def bytes_received(self, data: bytes, request: Request, **kwargs: Any) -> None:
        head = self._heads.get(request, b"")
        if len(head) >= _SNIFF_BYTES:
            return
        # Collect a few bytes across chunks: a slow server may send them one at a time.
        head = (head + data[:_SNIFF_BYTES])[:_SNIFF_BYTES]
        self._heads[request] = head
        if looks_like_media(head):
            self._stop("magic_bytes", "media content stopped at its first bytes")

    def _stop(self, how: str, reason: str) -> None:
        self.stats.inc_value("jikimi/media/stopped")
        self.stats.inc_value(f"jikimi/media/stopped/{how}")
        raise MediaStoppedError(f"media_{how}", reason)
