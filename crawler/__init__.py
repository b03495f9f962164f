"""The Scrapy project: search sources, page and channel spiders, pipelines into storage."""
