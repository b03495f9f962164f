"""A local fake internet with fictional content: search engines, pages, channels, hostile servers.

    from sandbox.server import SandboxServer
    with SandboxServer() as sb:              # 127.0.0.1, free port, daemon thread
        sb.base_url("naver", scenario="quota")

Routes (see each module for details):
- /{scenario}/{source}/<real path>   engines (engines/): naver, kakao, brave, searxng, duckduckgo, google;
                                     scenarios in scenarios.py
- /robots.txt, /web/...              watched pages (pages.py, page_data.py)
- /telegram/s/<channel>              t.me/s/ previews (telegram.py, telegram_data.py)
- /hostile/<name>                    bombs, huge, slow drip, nesting, bad charsets, injection (hostile.py)
- /media/...                         placeholder media: every hit there is a bug in the client (media.py)
Content is in corpus_data.py; `python -m sandbox` serves it until Ctrl-C; tls.py serves it over
HTTPS with a self-signed certificate.
"""
