"""Training and inference: :func:`fit`, :func:`predict` and their options.

``fit(model, train, valid=None, **options) -> FitResult`` trains with a loss chosen by the task,
early stopping, checkpoints in a run folder, exact resume and optional distributed data
parallel; ``predict(model, data, ...) -> np.ndarray`` returns probabilities.
"""

from motifnet.training.fit import FitResult, fit
from motifnet.training.options import FitOptions
from motifnet.training.predict import predict

__all__ = ["FitOptions", "FitResult", "fit", "predict"]
