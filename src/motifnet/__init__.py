"""motifnet: learn where proteins bind DNA and RNA, and which motifs they read.

Heavy submodules (torch models, plotting) are imported where used, so ``import motifnet``
stays fast. Import what you need from its module, e.g. ``from motifnet.data import SeqData``.
"""

__version__ = "0.1.0"

from motifnet.errors import MotifnetError

__all__ = ["MotifnetError", "__version__"]
