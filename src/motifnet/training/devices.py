"""Compatibility: the device helpers live in :mod:`motifnet.devices`."""

from motifnet.devices import autocast_dtype, eval_mode, model_device, resolve_device, set_cpu_threads

__all__ = ["autocast_dtype", "eval_mode", "model_device", "resolve_device", "set_cpu_threads"]
