"""Everything under /media/: placeholder bytes standing in for images, video, fonts and archives.

Nothing here is real media. It exists to be counted: any hit or byte served under /media/ means a
client fetched something it must never fetch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from sandbox.exchange import Request, Response

MEDIA_SIZE = 256 * 1024
_CHUNK = 64 * 1024

# Content type and magic bytes per extension, so sniffing agrees with the header.
_TYPES: dict[str, tuple[str, bytes]] = {
    ".jpg": ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".gif": ("image/gif", b"GIF89a"),
    ".webp": ("image/webp", b"RIFF\x00\x00\x00\x00WEBP"),
    ".ico": ("image/x-icon", b"\x00\x00\x01\x00"),
    ".mp4": ("video/mp4", b"\x00\x00\x00\x18ftypmp42"),
    ".webm": ("video/webm", b"\x1a\x45\xdf\xa3"),
    ".mp3": ("audio/mpeg", b"ID3\x03\x00"),
    ".ogg": ("audio/ogg", b"OggS"),
    ".vtt": ("text/vtt", b"WEBVTT\n\n"),
    ".woff2": ("font/woff2", b"wOF2"),
    ".swf": ("application/x-shockwave-flash", b"FWS"),
    ".zip": ("application/zip", b"PK\x03\x04"),
}
_DEFAULT = ("application/octet-stream", b"")


def handle(request: Request) -> Response:
    content_type, magic = _TYPES.get(PurePosixPath(request.path).suffix.lower(), _DEFAULT)

    def chunks() -> Iterator[bytes]:
        yield magic + bytes(_CHUNK - len(magic))
        for _ in range(MEDIA_SIZE // _CHUNK - 1):
            yield bytes(_CHUNK)

    return Response(200, [("Content-Type", content_type)], chunks(), length=MEDIA_SIZE)
