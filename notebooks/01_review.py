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
# # Review report
#
# Executed by papermill for one run (`slr run`); every number below is computed from the run's
# tables (`works`, `decisions`, `codes`, `prisma`), never typed.

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = "outputs/rural-community-business/latest"

# %%
import pandas as pd
from IPython.display import Markdown, display

import slr
from slr import report

pd.set_option("display.max_colwidth", None)
protocol = slr.load_protocol(protocol_path)
run = slr.read_run(run_dir)
display(Markdown(report.summary_markdown(protocol, run)))

# %% [markdown]
# ## Sources

# %%
display(report.sources_table(run))

# %% [markdown]
# ## PRISMA 2020 flow
# Every box computed from the run's decisions (`prisma.csv`; the diagram is also saved as
# `figures/prisma.svg` and `.png`).

# %%
display(report.figure(run_dir, "prisma"))
display(report.prisma_table(run))

# %% [markdown]
# ## The records over time

# %%
display(report.figure(run_dir, "works_per_year"))

# %% [markdown]
# ## Eligibility criteria

# %%
display(report.criteria_table(protocol, run))

# %% [markdown]
# ## Findings by research question
# Themes of the codebook found in the included works, with the evidence behind each.

# %%
display(Markdown(report.group_heading(protocol, "potential")))
display(report.theme_table(protocol, run, "potential"))

# %%
display(Markdown(report.group_heading(protocol, "challenge")))
display(report.theme_table(protocol, run, "challenge"))

# %%
display(Markdown(report.group_heading(protocol, "strategy")))
display(report.theme_table(protocol, run, "strategy"))

# %% [markdown]
# ## Themes over time and together

# %%
display(report.figure(run_dir, "themes_over_time"))
display(report.figure(run_dir, "themes"))

# %% [markdown]
# ## Where the studies took place
# Countries and Indonesian provinces named in the included works' titles, keywords and
# abstracts (a named province counts for Indonesia).

# %%
display(report.figure(run_dir, "places"))

# %% [markdown]
# ## The seed article's claims, checked against the corpus

# %%
display(Markdown(report.claims_summary(protocol, run)))
display(report.claims_table(run))

# %% [markdown]
# ## The seed article's references, audited
# Each reference as printed: found in this review's corpus (title match), and in OpenAlex when
# `slr audit-references` was run online (its answers are saved in the corpus and read offline).
# Reviewer's notes are ours, not checks slr ran.

# %%
display(report.references_table(run))

# %% [markdown]
# ## Topics the codebook did not name
# BERTopic on the included works (details, stability and topics × themes in `coding.html`).

# %%
display(report.figure(run_dir, "topic_sizes"))
display(Markdown(report.candidate_themes_markdown(run)))

# %% [markdown]
# ## What the records carry
# Fields available to screening and coding in this run (canonical records).

# %%
display(report.coverage_table(run))
