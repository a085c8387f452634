# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Screening
#
# The screening decisions of this run, by stage, criterion and reviewer.

# %% [markdown] tags=["instructions"]
# To screen, open this notebook in JupyterLab, set your reviewer name, run all cells and screen: every
# click is a row in the review's screening log (`corpus/<review>/screening/decisions.csv`),
# with your name, the time, the protocol version, the model and the work's rank. In blind
# mode you see and learn only from your own decisions. `slr verify` checks the log;
# `slr agree` compares two reviewers; `slr run` puts the decisions into the next report.

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = "outputs/rural-community-business/latest"
reviewer = ""  # your name, to screen with the panel below (empty: report only)
blind = True

# %%
from IPython.display import display

import slr
from slr.report import present

protocol = slr.load_protocol(protocol_path)
run = slr.read_run(run_dir)

# %% [markdown]
# ## Decisions in force, by stage and criterion

# %%
display(present.decision_summary_table(run))

# %% [markdown]
# ## Eligibility criteria

# %%
display(present.criteria_table(protocol, run))

# %% [markdown]
# ## Who decided: rows per reviewer and stage

# %%
display(present.reviewers_table(run))

# %% tags=["instructions"]
if reviewer:
    from slr.screen.panel import ScreeningSession, build_panel

    session = ScreeningSession(protocol, run["works"], reviewer=reviewer, blind=blind)
    display(build_panel(session))
