"""The screening panel: ipywidgets on a :class:`~slr.screen.session.ScreeningSession`.

One work at a time (title, venue, year, abstract and keywords with the protocol's topic terms
marked), Include / Exclude / Unsure / Undo / Stop buttons, the exclusion reason (no default;
reset for every work) and a progress line. Keyboard shortcuts while the pointer is on the
panel: ``i`` include, ``e`` exclude, ``u`` unsure, ``z`` undo, ``1``–``9`` pick a reason.

The reviewer's name never lives in a notebook: it comes from ``$SLR_REVIEWER`` or the name box.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w
from ipyevents import Event

from slr.errors import SlrError
from slr.escape import as_html
from slr.layout import ENV_REVIEWER
from slr.protocol import Protocol
from slr.screen.session import ScreeningSession, Shown, highlight, screening_candidates
from slr.widgets import named_panel

KEYS = {"i": "include", "e": "exclude", "u": "unsure", "z": "undo"}
NO_REASON = "— reason to exclude —"


def screening_panel(
    protocol: Protocol, run: dict, *, blind: bool = True, resolve: bool = False, **kw
):
    """The panel for whoever types their name (or ``$SLR_REVIEWER``): a name box, then the
    screening of ``run``'s works that the automation stage did not exclude (``run``:
    :func:`slr.read_run`; :class:`ScreeningSession` arguments in ``kw``)."""
    kw.setdefault("candidates", screening_candidates(run["status"]))
    return named_panel(
        "Reviewer",
        "Resolve conflicts" if resolve else "Start screening",
        (ENV_REVIEWER,),
        lambda name: ScreeningSession(
            protocol, run["works"], reviewer=name, blind=blind, resolve=resolve, **kw
        ),
        build_panel,
    )


def build_panel(session: ScreeningSession):
    """The ipywidgets screening panel for ``session`` (buttons call the session's methods)."""
    card = w.HTML(layout=w.Layout(width="100%"))
    status = w.HTML()
    progress = w.HTML()
    note = w.Text(placeholder="note (optional)", layout=w.Layout(width="100%"))
    criterion = w.Dropdown(
        options=[(NO_REASON, "")]
        + [(f"{i}. {label}" if i <= 9 else label, cid) for i, (label, cid) in
           enumerate(session.reasons(), start=1)],
        value="",
        layout=w.Layout(width="100%"),
    )  # fmt: skip
    buttons = {
        "include": w.Button(description="Include (i)", button_style="success"),
        "exclude": w.Button(description="Exclude (e)", button_style="danger"),
        "unsure": w.Button(description="Unsure (u)", button_style="warning"),
        "undo": w.Button(description="Undo (z)", icon="undo"),
        "stop": w.Button(
            description="Stop (rule)", tooltip="record the stop when the rule allows it"
        ),
    }
    state: dict[str, Shown | None] = {"shown": None}

    def refresh(message: str = "") -> None:
        shown = state["shown"] = session.next_work()
        criterion.value = ""
        note.value = ""
        card.value = _card(shown)
        status.value = f"<p>{as_html(message)}</p>" if message else ""
        progress.value = (
            f"<p>{as_html(session.reviewer)}: {as_html(session.progress().describe())}</p>"
        )

    def act(decision: str) -> None:
        shown = state["shown"]
        if shown is None:
            return
        if decision == "exclude" and not criterion.value:
            status.value = (
                "<p><b>Choose the reason to exclude first</b> (the criterion the work fails; "
                "keys 1–9).</p>"
            )
            return
        try:
            session.decide(
                shown.work_id,
                decision,
                criterion_id=criterion.value if decision == "exclude" else None,
                note=note.value,
                rank=shown.rank,
            )
        except SlrError as e:
            status.value = f"<p><b>{as_html(str(e))}</b></p>"
            return
        refresh(f"{decision}: {shown.title[:80]} ({shown.work_id})")

    def undo() -> None:
        refresh("undone" if session.undo() is not None else "nothing to undo")

    def on_stop(_b) -> None:
        try:
            n = len(session.stop())
            refresh(f"stopped: {n} unscreened records recorded as excluded by the stopping rule")
        except SlrError as e:
            status.value = f"<p><b>{as_html(str(e))}</b></p>"

    actions: dict[str, Callable[[], None]] = {
        d: (lambda d=d: act(d)) for d in ("include", "exclude", "unsure")
    }
    actions["undo"] = undo
    for key, button in buttons.items():
        if key in actions:
            button.on_click(lambda _b, key=key: actions[key]())
    buttons["stop"].on_click(on_stop)

    def on_key(event: dict) -> None:
        key = str(event.get("key", "")).lower()
        if key in KEYS:
            actions[KEYS[key]]()
        elif key.isdigit() and 1 <= int(key) < len(criterion.options):
            criterion.value = criterion.options[int(key)][1]

    refresh()
    controls = w.HBox([buttons[k] for k in ("include", "exclude", "unsure", "undo", "stop")])
    panel = w.VBox([progress, card, criterion, note, controls, status])
    panel.listener = _keys(panel, on_key)
    panel.buttons, panel.criterion, panel.note, panel.card = buttons, criterion, note, card
    panel.status, panel.progress, panel.on_key = status, progress, on_key  # for tests
    return panel


def _card(shown: Shown | None) -> str:
    if shown is None:
        return "<b>Every candidate has been screened.</b>"
    kw = ", ".join(shown.keywords)
    conflict = f"<p><b>Conflict:</b> {as_html(shown.conflict)}</p>" if shown.conflict else ""
    return (
        f"<h3>{highlight(shown.title, shown.terms)}</h3>"
        f"<p><i>{as_html(shown.venue)} {shown.year}</i> · work {shown.work_id} · rank "
        f"{shown.rank}</p>{conflict}"
        f"<p style='max-width:60em'>{highlight(shown.abstract, shown.terms) or '<i>no abstract</i>'}</p>"
        f"<p><b>Keywords:</b> {highlight(kw, shown.terms)}</p>"
    )


def _keys(widget, handler):
    """Keyboard events on ``widget`` to ``handler`` (ipyevents)."""
    event = Event(source=widget, watched_events=["keydown"], prevent_default_action=True)
    event.on_dom_event(handler)
    return event
