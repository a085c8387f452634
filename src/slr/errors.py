"""The errors slr raises: one small hierarchy, messages that name the bad value and the fix."""

from __future__ import annotations

SHOWN = 200  # at most this many characters of an offending value go into a message


def shorten(text: str, limit: int = SHOWN) -> str:
    """``text`` cut to ``limit`` characters for an error message, saying how much was cut."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


class SlrError(Exception):
    """Base class: every error slr raises on purpose is one of these.

    The command line prints ``str(error)`` on one line and exits non-zero.
    """


class ProtocolError(SlrError):
    """The protocol YAML is missing, unparsable or invalid."""


class SourceError(SlrError):
    """A source file cannot be read: names the file, the line or record, and the problem."""


class HarvestError(SlrError):
    """An OpenAlex harvest failed; pages already saved are kept for a resume."""


class SchemaError(SlrError):
    """A table does not match its written contract (see ``slr.tables.schema``)."""


class RunError(SlrError):
    """A pipeline run cannot go on (missing inputs, failed notebook, …)."""


class LayoutError(SlrError):
    """A name or path would put a file outside its place (``..``, an absolute path, a reserved
    name)."""
