"""Safety rails every jikimi crawl runs with: the address gate (T6), the media guard (T7), limits (T8)."""
