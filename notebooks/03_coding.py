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
# # Coding and topics
#
# The codebook tags (terms, cues in context, MiniLM sentence similarity, people's verdicts)
# and the BERTopic topics of the included works, all read from the run's tables.

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = ""  # empty: the protocol's latest run
panel = True  # show the coding panel (the report runs this notebook without it)

# %%
import pandas as pd
from IPython.display import Markdown, display

import slr
from slr.report import present

pd.set_option("display.max_colwidth", None)
protocol, run = slr.open_review(protocol_path, run_dir)

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
# Type your name in the panel (or start JupyterLab with `SLR_CODER=<name>`): one included work
# at a time, confirm or reject each tag, add a theme the tagger missed with its evidence. Each
# click appends a row to the review's coding log, applied by the next `slr run`.

# %% tags=["instructions"]
if panel:
    from slr.coding.panel import coding_panel

    display(coding_panel(protocol, run))
