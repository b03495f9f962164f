"""A local fake internet with fictional content: search engines, pages, channels, hostile servers."""
