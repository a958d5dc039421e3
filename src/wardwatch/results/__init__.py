"""Results: every judgement computed once by ``wardwatch refresh`` into typed warehouse tables.

Reports, PDFs, the public pages and (later) the web dashboard read these tables and draw them;
they never recompute a statistic. Each stage (SPC series, funnels, mortality, ratings, action
effects, data quality) is split into *units* (an SPC series, a funnel for one indicator and
period, ...) with a fingerprint of their inputs, so a refresh recomputes only what changed.
"""
