# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,-widgets,-language_info
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: slr
#     language: python
#     name: slr
# ---

# %% [markdown]
# # Screening
#
# The screening decisions of this run, by stage, criterion and reviewer.

# %% [markdown] tags=["instructions"]
# To screen: `make lab`, open this notebook, run all cells, type your name in the panel at the
# end (or start JupyterLab with `SLR_REVIEWER=<name>`) and screen. Every click is a row in the
# review's screening log (`corpus/<review>/screening/decisions.csv`) with your name, the time,
# the protocol version, the model and the work's rank. Keys: `i` include, `e` exclude,
# `u` unsure, `z` undo, `1`–`9` the reason to exclude. In blind mode you see and learn only
# from your own decisions; with `resolve = True` a third reviewer settles two reviewers'
# conflicts. `slr verify` checks the log, `slr agree` compares two reviewers, and `slr run`
# puts the decisions into the next report.

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = ""  # empty: the protocol's latest run
panel = True  # show the screening panel (the report runs this notebook without it)
blind = True  # see and learn only from your own decisions
resolve = False  # settle the open conflicts of two reviewers instead

# %%
from IPython.display import display

import slr
from slr.report import present

protocol, run = slr.open_review(protocol_path, run_dir)

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
if panel:
    from slr.screen.panel import screening_panel

    display(screening_panel(protocol, run, blind=blind, resolve=resolve))
