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
# # Synthesis
#
# The answers to the review's questions from the included works: each theme with the number
# and share of works, their years and countries, and the works behind it with their evidence;
# then the seed article's own claims checked against them.

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = ""  # empty: the protocol's latest run

# %%
import pandas as pd
from IPython.display import HTML, Markdown, display

import slr
from slr.report import present

pd.set_option("display.max_colwidth", None)
protocol, run = slr.open_review(protocol_path, run_dir)

# %% [markdown]
# ## Findings by research question

# %%
for group in protocol.groups:
    display(Markdown(present.group_heading(protocol, group.id)))
    display(present.findings_table(protocol, run, group.id))
    display(HTML(present.theme_works_html(protocol, run, group.id)))

# %% [markdown]
# ## Themes over time and together

# %%
display(present.figure(protocol, run["dir"], "themes_over_time"))
display(present.figure(protocol, run["dir"], "themes"))

# %% [markdown]
# ## Where the studies took place

# %%
display(Markdown(present.places_markdown(protocol)))
display(present.figure(protocol, run["dir"], "places"))

# %% [markdown]
# ## The seed article's claims, checked against the corpus

# %%
display(Markdown(present.claims_summary(protocol, run)))
display(present.claims_table(run))
