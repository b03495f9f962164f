"""What jikimi knows and how it is kept: models, encryption at rest, repositories.

The core of the dependency graph: imports no Scrapy, APScheduler or command-line code.
"""
