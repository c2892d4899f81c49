"""motifnet: learn where proteins bind DNA and RNA, and which motifs they read.

Heavy submodules (torch models, plotting) are imported where used, so ``import motifnet``
stays fast. Import what you need from its module, e.g. ``from motifnet.data import SeqData``.
Importing it sets glibc's malloc to keep freed memory for reuse (:mod:`motifnet.allocator`).
"""

__version__ = "0.1.0"

from motifnet.allocator import keep_freed_memory
from motifnet.errors import MotifnetError

keep_freed_memory()  # glibc keeps freed tensor memory for reuse (motifnet.allocator)

__all__ = ["MotifnetError", "__version__"]
