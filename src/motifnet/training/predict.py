"""Compatibility: batched inference lives in :mod:`motifnet.predict`."""

from motifnet.predict import predict, predict_logits

__all__ = ["predict", "predict_logits"]
