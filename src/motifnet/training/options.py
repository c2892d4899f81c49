"""Training options: one dataclass with the defaults, checked once."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from motifnet.errors import MotifnetError

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("none", "plateau", "cosine")
MONITORS = ("auto", "loss", "auroc", "auprc", "accuracy")


@dataclass
class FitOptions:
    """Options of :func:`motifnet.training.fit` (defaults in brackets).

    epochs [10], batch_size [128], lr [1e-3], optimizer adam|adamw|sgd|rmsprop [adam],
    momentum (SGD, RMSprop) [0.9], weight_decay [0], schedule none|plateau|cosine [none],
    grad_clip (max gradient norm) [None], patience (epochs without improvement of the monitored
    validation metric before stopping; None = never) [5], monitor auto|loss|auroc|auprc|accuracy
    [auto: auroc for binary/multilabel, accuracy for multiclass, loss for regression],
    class_weights [None], regression_loss mse|poisson [mse], augment: list of "rc" (DNA only:
    each sequence on a random strand) and "shift" [[]], max_shift [3], negatives: "dinuc-shuffle"
    for positive-only data, fresh every epoch (rows labelled 0 in the training data are dropped) [None], valid_fraction (seeded stratified split when
    no validation data is given; 0 = none) [0.1], valid_strands forward|both|auto [auto: both when
    training with "rc"], seed [0], device [auto], amp (mixed precision: bfloat16, or float16 on CUDA
    without bf16) [False], max_seconds (a training time limit: stop before an epoch that, as long as
    the last one, would end past it; makes results depend on the machine's speed) [None].
    """

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "none"
    grad_clip: float | None = None
    patience: int | None = 5
    monitor: str = "auto"
    class_weights: list[float] | None = None
    regression_loss: str = "mse"
    augment: list[str] = field(default_factory=list)
    max_shift: int = 3
    negatives: str | None = None
    valid_fraction: float = 0.1
    valid_strands: str = "auto"
    seed: int = 0
    device: str = "auto"
    amp: bool | str = False
    max_seconds: float | None = None

    @classmethod
    def from_dict(cls, options: dict) -> "FitOptions":
        """Build from keyword options; ``augment`` may be a comma-separated string.

        Raises:
            MotifnetError: an unknown option or a value out of range.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise MotifnetError(f"unknown training option(s) {unknown}; known: {sorted(known)}")
        options = dict(options)
        if isinstance(options.get("augment"), str):
            options["augment"] = [a for a in options["augment"].replace("+", ",").split(",") if a and a != "none"]
        if options.get("augment") is None:
            options["augment"] = []
        opts = cls(**options)
        opts.check()
        return opts

    def check(self) -> None:
        """Raise MotifnetError for values out of range."""
        from motifnet.training.augment import AUGMENTATIONS

        def bad(name: str, expected: str) -> MotifnetError:
            return MotifnetError(f"training option {name}={getattr(self, name)!r}: expected {expected}")

        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise bad("epochs", "an integer >= 1")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise bad("batch_size", "an integer >= 1")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise bad("lr", "a number > 0")
        if self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"one of {OPTIMIZERS}")
        if self.schedule not in SCHEDULES:
            raise bad("schedule", f"one of {SCHEDULES}")
        if self.monitor not in MONITORS:
            raise bad("monitor", f"one of {MONITORS}")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 1):
            raise bad("patience", "an integer >= 1 or None")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise bad("grad_clip", "a number > 0 or None")
        if not 0 <= self.valid_fraction < 1:
            raise bad("valid_fraction", "a fraction in [0, 1)")
        if self.weight_decay < 0:
            raise bad("weight_decay", "a number >= 0")
        if not set(self.augment) <= set(AUGMENTATIONS):
            raise bad("augment", f"a list from {AUGMENTATIONS}")
        if self.valid_strands not in ("auto", "forward", "both"):
            raise bad("valid_strands", "auto, forward or both")
        if self.negatives is not None:
            from motifnet.negatives import check_method

            check_method(self.negatives)

    def to_dict(self) -> dict:
        return asdict(self)


TRAINING_KEYS = frozenset(f.name for f in fields(FitOptions))
"""The names of the training options (everything else in a settings mapping is a model parameter)."""


def split_settings(settings: dict) -> tuple[dict, dict]:
    """``(model_params, training_options)``: ``model.``/``training.`` prefixes and sections are
    honoured; other keys are training options if :class:`FitOptions` knows them, else model
    parameters (checked later by the model registry)."""
    model: dict = {}
    training: dict = {}
    for key, value in settings.items():
        if key in ("model", "training") and isinstance(value, dict):
            (model if key == "model" else training).update(value)
        elif key.startswith("model."):
            model[key[len("model."):]] = value
        elif key.startswith("training."):
            training[key[len("training."):]] = value
        elif key in TRAINING_KEYS:
            training[key] = value
        else:
            model[key] = value
    return model, training
