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
# # Corpus and PRISMA
#
# The review's question, how the records were found, and the PRISMA 2020 flow. Every number
# is computed from the run's tables.

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = ""  # empty: the protocol's latest run

# %%
import pandas as pd
from IPython.display import Markdown, display

import slr
from slr.report import present

pd.set_option("display.max_colwidth", None)
protocol, run = slr.open_review(protocol_path, run_dir)
display(Markdown(present.summary_markdown(protocol, run)))

# %% [markdown]
# ## Methods

# %%
display(Markdown(present.methods_markdown(protocol, run)))

# %% [markdown]
# ## Sources

# %%
display(present.sources_table(run))

# %% [markdown]
# ## PRISMA 2020 flow
# Every box computed from the run's decisions (`prisma.csv`; the diagram is also saved as
# `figures/prisma.svg` and `.png`).

# %%
display(present.figure(protocol, run["dir"], "prisma"))
display(present.prisma_table(run))

# %% [markdown]
# ## The records over time

# %%
display(present.figure(protocol, run["dir"], "works_per_year"))
