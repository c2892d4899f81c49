"""Data augmentation on one-hot batches ``[B, 4, L]`` (on the batch's device, seeded)."""

from __future__ import annotations

AUGMENTATIONS = ("rc", "shift")


def random_strand(x, generator):
    """Reverse-complement a random half of the batch (each sequence independently).

    Args:
        x: one-hot float ``[B, 4, L]`` in A,C,G,T order (DNA).
        generator: a ``torch.Generator`` on ``x``'s device.

    Returns:
        A new ``[B, 4, L]`` tensor.
    """
    import torch

    flip = torch.rand(x.shape[0], device=x.device, generator=generator) < 0.5
    return torch.where(flip.view(-1, 1, 1), x.flip((1, 2)), x)


def random_shift(x, max_shift: int, generator):
    """Shift each sequence by a random offset in ``[-max_shift, max_shift]``, filling with N
    (all-zero columns) so the length stays ``L``.

    Args:
        x: one-hot ``[B, 4, L]``.
        max_shift: the largest shift in positions (0 returns ``x``).
        generator: a ``torch.Generator`` on ``x``'s device.
    """
    import torch
    import torch.nn.functional as F

    if max_shift <= 0:
        return x
    batch, channels, length = x.shape
    offsets = torch.randint(0, 2 * max_shift + 1, (batch,), device=x.device, generator=generator)
    padded = F.pad(x, (max_shift, max_shift))
    index = offsets.view(-1, 1) + torch.arange(length, device=x.device).view(1, -1)
    return padded.gather(2, index.unsqueeze(1).expand(batch, channels, length))
