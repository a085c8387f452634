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
# # Coding and topics
#
# The codebook tags (terms, cues in context, MiniLM sentence similarity, people's verdicts)
# and the BERTopic topics of the included works, all read from the run's tables.

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = "outputs/rural-community-business/latest"
coder = ""  # your name, to confirm or reject tags in the panel below (empty: no panel)

# %%
import pandas as pd
from IPython.display import Markdown, display

import slr
from slr.report import present

pd.set_option("display.max_colwidth", None)
protocol = slr.load_protocol(protocol_path)
run = slr.read_run(run_dir)

# %% [markdown]
# ## Theme frequencies by group
# Included works tagged with each theme; `how` counts the methods behind the tags.

# %%
for group in protocol.groups:
    display(Markdown(present.group_heading(protocol, group.id)))
    display(present.theme_frequency_table(protocol, run, group.id))

# %% [markdown]
# ## Evidence per theme
# Up to ten works per theme, with the sentence or keyword that carries the theme.

# %%
for theme in protocol.codebook:
    display(Markdown(f"### {theme.id} {theme.label}"))
    display(present.theme_evidence_table(run, theme.id))

# %% [markdown]
# ## Topics (BERTopic)
# Topic words and sizes; stability across five seeds (adjusted Rand index against the first).

# %%
display(present.topics_table(run))
display(present.topic_stability_table(run))

# %% [markdown]
# ### Topics over time

# %%
display(present.topics_over_time_table(run))

# %% [markdown]
# ### Topics × codebook themes
# How many of each topic's works carry each theme; `main_themes` are those on half of its
# works or more.

# %%
display(present.topic_theme_table(run))
display(Markdown(present.candidate_themes_markdown(run)))

# %% [markdown] tags=["instructions"]
# ## Review the tags
# With `coder` set, confirm or reject tags; each click appends a row to the review's coding log,
# applied by the next `slr run`.

# %% tags=["instructions"]
if coder:
    from slr.coding.panel import CodingSession, build_coding_panel

    display(build_coding_panel(CodingSession(protocol, run["codes"], coder)))
