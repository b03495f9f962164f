"""The advocates' web console: Flask over `storage`, `takedown` and `matching` (nothing below imports it).

`create_app(store, settings)` builds the application; `jikimi web` serves it, gunicorn in production
(docs/console.md). Every page that shows a name is reachable only by a signed-in user granted the
case (otherwise 404), is sent `no-store`, and is audited under that user.
"""

from web.app import create_app

__all__ = ["create_app"]
