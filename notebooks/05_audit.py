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
# # Audit
#
# What a reviewer checks: the seed article's references, what the records carry (coverage as a
# risk-of-bias item), the decisions behind every work, and the exports.

# %% tags=["parameters"]
protocol_path = "protocols/rural-community-business.yaml"
run_dir = ""  # empty: the protocol's latest run

# %%
import pandas as pd
from IPython.display import display

import slr
from slr.report import present

pd.set_option("display.max_colwidth", None)
protocol, run = slr.open_review(protocol_path, run_dir)

# %% [markdown]
# ## The seed article's references, audited
# Each reference as printed: found in this review's corpus (title match), and in OpenAlex when
# `slr audit-references` was run online (its answers are saved in the corpus and read offline).
# Reviewer's notes are ours, not checks slr ran.

# %%
display(present.references_table(run))

# %% [markdown]
# ## Coverage of the included works (risk of bias)
# Languages, document types and missing fields of the included works: a review of titles
# and abstracts can only code what the records carry.

# %%
display(present.coverage_risk_table(run))
display(present.coverage_table(run))

# %% [markdown]
# ## Exports
# In the run folder: `exports/included.ris` and `exports/included.bib` (the included works),
# `decisions.csv` (every decision row), `codes.csv` (every tag).

# %% [markdown]
# ## Appendix: every record and its decision
# Included first, then excluded (by criterion), not retrieved, stopped and duplicates.

# %%
display(present.appendix_table(run))

# %% [markdown]
# ## Appendix: PRISMA 2020 checklist
# Each item of the PRISMA 2020 checklist and the section of this report that answers it, or
# why it was not done.

# %%
display(present.checklist_table())
