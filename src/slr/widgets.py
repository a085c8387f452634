"""What the screening and coding panels share: the box that asks who is working.

A name never lives in a notebook: it is typed here, or comes from the environment
(``$SLR_REVIEWER``, ``$SLR_CODER``), and only then is the session opened.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from slr.errors import SlrError
from slr.escape import as_html


def named_panel(
    role: str,
    button: str,
    env: Sequence[str],
    open_session: Callable[[str], Any],
    build: Callable[[Any], w.Widget],
) -> w.VBox:
    """A name box labelled ``role`` (filled from the first of the ``env`` variables that is
    set) and a ``button``; on a click, or at once when the name is already there,
    ``open_session(name)`` opens the session (its :class:`SlrError` is shown beside the box)
    and ``build(session)`` puts the panel below. The box keeps ``name``, ``start``,
    ``message``, and, once started, ``session`` and ``panel`` (for tests)."""
    name = w.Text(
        value=next((os.environ[e] for e in env if os.environ.get(e)), ""),
        placeholder="your name",
        description=role,
        layout=w.Layout(width="320px"),
    )
    start = w.Button(description=button)
    message = w.HTML()
    body = w.VBox([])
    box = w.VBox([w.HBox([name, start]), message, body])

    def begin(_=None) -> None:
        try:
            session = open_session(name.value)
        except SlrError as e:
            message.value = f"<b>{as_html(str(e))}</b>"
            return
        name.disabled = start.disabled = True
        message.value = ""
        box.session, box.panel = session, build(session)
        body.children = (box.panel,)

    start.on_click(begin)
    box.name, box.start, box.message = name, start, message
    if name.value.strip():
        begin()
    return box
