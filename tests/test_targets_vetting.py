"""Which target URLs `jikimi target add` takes: Telegram's shape is demanded of Telegram's host only."""

from __future__ import annotations

import pytest

from jikimi.config import load_settings
from jikimi.targets import TargetRefusedError, vet_target_url
from storage.urls import is_telegram_host
from tests.support.home import JikimiHome


@pytest.mark.parametrize(
    "url",
    [
        "https://robot.medium.com/post/1",  # "t.me" inside "robot.medium.com"
        "https://forum.example/t.me/s/channel",
        "https://at.men.example/board/2",
        "https://t.me.example/board/3",
    ],
)
def test_urls_merely_containing_t_me_are_ordinary_pages(home: JikimiHome, url: str) -> None:
    assert not is_telegram_host(url)
    assert vet_target_url(url, load_settings()) == url


@pytest.mark.parametrize("url", ["https://t.me/s/somechannel", "https://telegram.me/somechannel"])
def test_telegram_channels_are_taken(home: JikimiHome, url: str) -> None:
    assert is_telegram_host(url)
    vet_target_url(url, load_settings())


@pytest.mark.parametrize(
    "url", ["https://t.me/joinchat/abc/def", "https://T.ME./s/", "https://www.t.me/+invite"]
)
def test_telegram_urls_that_are_not_channels_are_refused(home: JikimiHome, url: str) -> None:
    with pytest.raises(TargetRefusedError, match="t.me/s/<channel>"):
        vet_target_url(url, load_settings())


def test_target_add_takes_a_medium_post(home: JikimiHome) -> None:
    home.ok("init")
    target_id = home.ok("target", "add", "https://robot.medium.com/post/1").strip()
    assert target_id.isdigit()
