"""Takedown work: the platform directory, drafted notices for a person to review and send, reports.

Nothing here sends anything. Notices carry URLs, first-seen times and the law to cite; never a
watch term, a case label, or text scraped from the pages (titles and snippets stay out).
"""
