"""The screening tests' protocol (the mini review's, at a project path) and works."""

import pytest
import yaml
from helpers import MINI_PROTOCOL

from slr.protocol import parse_protocol


@pytest.fixture
def protocol(tmp_path):
    path = tmp_path / "protocols" / "mini.yaml"
    path.parent.mkdir()
    path.write_text(MINI_PROTOCOL, encoding="utf-8")
    return parse_protocol(yaml.safe_load(MINI_PROTOCOL), path=path)
