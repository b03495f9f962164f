"""Jinja2 templates shipped with jikimi (loaded with PackageLoader, always autoescaped)."""
