"""slr: systematic literature reviews as code.

protocol → harvest → normalise → deduplicate → screen → code → synthesise → report.
"""

from slr.errors import HarvestError, ProtocolError, RunError, SchemaError, SlrError, SourceError
from slr.protocol import Protocol, load_protocol
from slr.tables.io import read_run
from slr.tables.review import open_review

__all__ = [
    "HarvestError",
    "Protocol",
    "ProtocolError",
    "RunError",
    "SchemaError",
    "SlrError",
    "SourceError",
    "load_protocol",
    "open_review",
    "read_run",
]
