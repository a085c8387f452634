"""The coding panel: ipywidgets on a :class:`~slr.coding.review.CodingSession`.

One included work at a time: title, venue, year and abstract with each tag's evidence marked;
each proposed tag with its theme, group, evidence and method, and Confirm / Reject; a theme the
tagger missed is added with its evidence. "Next unreviewed" goes to the next work whose tags
this coder has not all judged; the header counts reviewed and remaining works.

The coder's name never lives in a notebook: it comes from ``$SLR_CODER`` (or
``$SLR_REVIEWER``) or the name box.
"""

from __future__ import annotations

import ipywidgets as w

from slr.coding.review import CodingSession
from slr.errors import SlrError
from slr.escape import as_html
from slr.layout import ENV_CODER, ENV_REVIEWER
from slr.protocol import Protocol
from slr.widgets import named_panel

NO_THEME = "— theme the tagger missed —"


def coding_panel(protocol: Protocol, run: dict, **kw):
    """The panel for whoever types their name: the tags of ``run``'s included works
    (``run``: :func:`slr.read_run`; :class:`CodingSession` arguments in ``kw``)."""
    status = run["status"]
    included = status.loc[status["status"] == "included", "work_id"].tolist()
    return named_panel(
        "Coder",
        "Start coding",
        (ENV_CODER, ENV_REVIEWER),
        lambda name: CodingSession(
            protocol, run["codes"], name, works=run["works"], included=included, **kw
        ),
        build_coding_panel,
    )


def build_coding_panel(session: CodingSession):
    """ipywidgets on ``session``: one work, its tags with Confirm / Reject, Add, Next."""
    themes = {t.id: t for t in session.protocol.codebook}
    header = w.HTML()
    card = w.HTML(layout=w.Layout(width="100%"))
    rows = w.VBox([])
    note = w.Text(placeholder="note (optional)", layout=w.Layout(width="100%"))
    add_theme = w.Dropdown(layout=w.Layout(width="50%"))
    add_evidence = w.Text(
        placeholder="evidence: the sentence that states it", layout=w.Layout(width="100%")
    )
    add = w.Button(description="Add theme", button_style="info")
    next_ = w.Button(description="Next unreviewed", icon="arrow-right")
    status = w.HTML()
    state: dict = {"work": None, "buttons": {}}

    def label(theme_id: str) -> str:
        t = themes[theme_id]
        return f"{t.id} · {session.protocol.group(t.group).label} · {t.label}"

    def show(work_id: str | None, message: str = "") -> None:
        state["work"] = work_id
        done, total = session.counts()
        header.value = (
            f"<p>{as_html(session.coder)}: {done} of {total} tagged works reviewed, "
            f"{total - done} remaining</p>"
        )
        status.value = f"<p>{as_html(message)}</p>" if message else ""
        if work_id is None:
            card.value, rows.children = "<b>Every tagged work has been reviewed.</b>", ()
            return
        tags = session.proposals(work_id)
        card.value = _card(session.work(work_id), tags["evidence"].dropna().tolist())
        state["buttons"] = {}
        children = []
        for r in tags.itertuples():
            confirm = w.Button(description="Confirm", button_style="success")
            reject = w.Button(description="Reject", button_style="danger")
            confirm.on_click(lambda _b, t=r.theme_id: verdict(t, "confirm"))
            reject.on_click(lambda _b, t=r.theme_id: verdict(t, "reject"))
            state["buttons"][r.theme_id] = {"confirm": confirm, "reject": reject}
            said = {"confirm": "confirmed", "reject": "rejected", "add": "added"}.get(r.verdict, "")
            text = (
                f"<b>{as_html(label(r.theme_id))}</b>"
                + (f" <i>({said} by you)</i>" if said else "")
                + f"<br><small>{as_html(str(r.method))} · {as_html(str(r.source_field))}: "
                f"“{as_html(str(r.evidence))}”</small>"
            )
            children.append(w.HBox([w.HTML(text, layout=w.Layout(width="75%")), confirm, reject]))
        rows.children = tuple(children)
        have = set(tags["theme_id"])
        add_theme.options = [(NO_THEME, "")] + [(label(t), t) for t in themes if t not in have]
        add_theme.value = ""
        add_evidence.value = note.value = ""

    def verdict(theme_id: str, what: str, evidence: str = "") -> None:
        work_id = state["work"]
        try:
            session.verdict(work_id, theme_id, what, evidence=evidence, note=note.value)
        except SlrError as e:
            status.value = f"<p><b>{as_html(str(e))}</b></p>"
            return
        show(work_id, f"{what}: {theme_id} on {work_id}")

    def on_add(_b) -> None:
        if not add_theme.value:
            status.value = "<p><b>Choose the theme to add first.</b></p>"
            return
        verdict(add_theme.value, "add", add_evidence.value)

    def on_next(_b) -> None:
        later = [w_ for w_ in session.unreviewed() if w_ != state["work"]]
        show(later[0] if later else None)

    add.on_click(on_add)
    next_.on_click(on_next)
    first = session.unreviewed()
    show(first[0] if first else None)
    panel = w.VBox(
        [header, card, rows, w.HBox([add_theme, add]), add_evidence, note, next_, status]
    )
    panel.state, panel.add_theme, panel.add_evidence, panel.add = (
        state,
        add_theme,
        add_evidence,
        add,
    )
    panel.next, panel.card, panel.header, panel.status, panel.show = (
        next_,
        card,
        header,
        status,
        show,
    )
    return panel  # for tests: the widgets above, state["buttons"][theme][verdict]


def _card(work: dict, evidence: list[str]) -> str:
    abstract = as_html(work["abstract"]) or "<i>no abstract</i>"
    for sentence in sorted(set(evidence), key=len, reverse=True):
        html = as_html(sentence)
        if html and html in abstract:
            abstract = abstract.replace(html, f"<mark>{html}</mark>", 1)
    title = as_html(work["title"]) or as_html(work["work_id"])
    if work["title"] and any(e == work["title"] for e in evidence):
        title = f"<mark>{title}</mark>"
    return (
        f"<h3>{title}</h3><p><i>{as_html(work['venue'])} {work['year']}</i> · work "
        f"{as_html(work['work_id'])}</p><p style='max-width:60em'>{abstract}</p>"
    )
