"""What a new set-up lacks, in one line each: shown by `jikimi run`, `jikimi status` and `sources check`.

An advocate who runs a pass expects Naver and Daum to have been searched. When they were not (no config
file yet, every engine off, or only keyless DuckDuckGo), the pass says so and names the fix, rather than
reporting a quiet "nothing new".
"""

from __future__ import annotations

from jikimi.config import CONFIG_FILE_NAME, KNOWN_SOURCES, Settings

# Sources that search (telegram only reads channels an advocate registered).
SEARCH_ENGINES = tuple(name for name in KNOWN_SOURCES if name != "telegram")
KEYLESS = "duckduckgo"


def config_path(settings: Settings) -> str:
    return str(settings.config_file or settings.data_dir / CONFIG_FILE_NAME)


def search_notice(settings: Settings) -> str | None:
    """Why this set-up searches less than an advocate expects, and what to do; None when it is fine."""
    engines = [s.name for s in settings.enabled_sources() if s.name in SEARCH_ENGINES]
    if settings.config_file is None:
        return (
            "no config file yet, so only DuckDuckGo (no account needed, few Korean pages) is searched: "
            "`jikimi init` writes a commented one, then add your Naver or Kakao keys there"
        )
    if not engines:
        return (
            f"no search engine is turned on in {config_path(settings)}: nothing was searched, only watched "
            "pages and channels are read; add an engine's keys there, set enabled = true, then run "
            "`jikimi sources check`"
        )
    if engines == [KEYLESS]:
        return (
            "only DuckDuckGo is searched, which knows few Korean pages: add Naver or Kakao keys in "
            f"{config_path(settings)}, then run `jikimi sources check`"
        )
    return None
