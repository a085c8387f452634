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
# # Abstract

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = ""  # empty: the protocol's latest run

# %%
import pandas as pd
from IPython.display import Markdown, display

import slr
from slr.report import present, writeup

pd.set_option("display.max_colwidth", None)
protocol, run = slr.open_review(protocol_path, run_dir)
display(Markdown(writeup.abstract_markdown(protocol, run)))

# %% [markdown]
# # Introduction

# %%
display(Markdown(writeup.introduction_markdown(protocol)))

# %% [markdown]
# # Results by research question
# What the included works report, theme by theme, with the works behind each finding and the
# certainty it deserves (the rules are under *Certainty of the findings*). The detailed tables,
# figures and every work's evidence sentence are in *Synthesis* below.

# %%
for group in protocol.groups:
    display(Markdown(present.group_heading(protocol, group.id)))
    display(Markdown(writeup.question_markdown(protocol, run, group.id)))

# %% [markdown]
# ## Certainty of the findings

# %%
display(Markdown(writeup.certainty_rules()))
display(present.certainty_table(protocol, run))

# %% [markdown]
# # Study characteristics and appraisal

# %%
display(Markdown(writeup.characteristics_markdown(run)))
display(present.studies_table(run))

# %% [markdown]
# # Discussion
# ## Limitations

# %%
display(Markdown(writeup.limitations_markdown(protocol, run)))

# %% [markdown]
# # Other information

# %%
display(Markdown(writeup.other_information_markdown(protocol, run)))
