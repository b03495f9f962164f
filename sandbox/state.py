"""Everything a running sandbox holds: content stores, scenario memory and the request log."""

from __future__ import annotations

import threading

from sandbox.corpus import Corpus
from sandbox.pages import PageStore
from sandbox.recorder import Recorder
from sandbox.scenarios import OnceMemory
from sandbox.telegram import ChannelStore


class SandboxState:
    def __init__(self, root: str) -> None:
        self.root = root
        self.recorder = Recorder()
        self.memory = OnceMemory()
        # Set on shutdown so sleeping handlers (slow scenario, slow drip) give up at once.
        self.stopping = threading.Event()
        self.corpus = Corpus(root)
        self.pages = PageStore()
        self.channels = ChannelStore()

    def reset(self) -> None:
        """Counters and once-only scenario memory; content stays as tests left it."""
        self.recorder.clear()
        self.memory.clear()

    def reset_content(self) -> None:
        """Documents, pages, robots.txt and channels back to how they started."""
        self.corpus = Corpus(self.root)
        self.pages = PageStore()
        self.channels = ChannelStore()
