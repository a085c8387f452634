"""slr: systematic literature reviews as code.

protocol → harvest → normalise → deduplicate → screen → code → synthesise → report.
"""

from slr.errors import HarvestError, ProtocolError, RunError, SchemaError, SlrError, SourceError
from slr.io import read_run
from slr.protocol import Protocol, load_protocol

__all__ = [
    "HarvestError",
    "Protocol",
    "ProtocolError",
    "RunError",
    "SchemaError",
    "SlrError",
    "SourceError",
    "load_protocol",
    "read_run",
]
