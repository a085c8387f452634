"""A notebook finds its project's files wherever its kernel starts."""

import pytest

from slr.errors import LayoutError
from slr.layout import locate


def test_relative_paths_are_found_from_the_notebooks_folder_up(tmp_path, monkeypatch):
    (tmp_path / "protocols").mkdir()
    protocol = tmp_path / "protocols" / "p.yaml"
    protocol.write_text("x", encoding="utf-8")
    deep = tmp_path / "outputs" / "p" / "run-1" / "notebooks"
    deep.mkdir(parents=True)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("SLR_PROJECT", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(deep / "02_screening.ipynb"))
    assert locate("protocols/p.yaml", "protocol file", lambda p: p.is_file()) == protocol
    monkeypatch.delenv("JPY_SESSION_NAME")
    with pytest.raises(
        LayoutError, match="protocol file 'protocols/p.yaml' not found under .*SLR_PROJECT"
    ):
        locate("protocols/p.yaml", "protocol file", lambda p: p.is_file())
    monkeypatch.setenv("SLR_PROJECT", str(tmp_path))
    assert locate("protocols/p.yaml", "protocol file", lambda p: p.is_file()) == protocol
    assert locate(protocol, "protocol file", lambda p: False) == protocol  # absolute: as given
