"""Motif discovery from trained models.

- :mod:`.filters`: first-layer filters -> count matrices / PPMs (Koo & Eddy activation method,
  and the weight view);
- :mod:`.tomtom`: Tomtom (memelite) of learned motifs against JASPAR or a MEME file, and
  recovery of the true motifs of simulated data;
- :mod:`.attribution`: ISM, saliency, gradient x input, integrated gradients;
- :mod:`.localization`: predicted sites from attributions or activations vs the true sites;
- :mod:`.logos`: logomaker figures (returned as matplotlib Figures, saved as PNG/SVG);
- :mod:`.pipeline`: everything above on a model and a data set, written to a folder: the one
  implementation behind ``motifnet interpret`` and the experiment step.

Submodules import torch / matplotlib / memelite where used; import them directly, e.g.
``from motifnet.interpret.filters import activation_motifs``.
"""
