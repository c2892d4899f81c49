"""Reports: figures (:mod:`.plots`), a self-contained HTML page (:mod:`.html`), conclusions
computed from a run's numbers (:mod:`.conclusions`) and the experiment report (:mod:`.experiment`).

Matplotlib is imported by these submodules only; import them directly, e.g.
``from motifnet.report.html import Report``.
"""
