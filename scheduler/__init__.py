"""When things run: the nightly pass, run as crawl subprocesses (never imports the crawler)."""
