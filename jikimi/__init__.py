"""jikimi (지킴이): finds where a victim's name is exposed online, for the advocates who get it taken down."""

__version__ = "0.1.0"
