"""Hyperparameter search with Optuna: each sampled setting scored by k-fold cross-validation,
median pruning on the validation curves, the best setting retrained, and fold ensembles.

    space = read_space("space.yaml", "deepbind")
    result = tune(data, "deepbind", space, trials=30, folds=3, out_dir="runs/tuned")

The study in its storage is the whole state of a search: a SQLite file (``out_dir/study.db``
by default) or any database URL Optuna takes, so a killed search resumes where it stopped and
several processes or machines share one study by name. ``trials`` counts the study's finished
(complete or pruned) trials, whoever ran them.

What a trial scores: for each fold in turn the setting is trained on the other folds and
validated on it, early stopping (``patience``) watching the same fold, as in DeepBind's
calibration; its value is the mean over folds of the best epoch's monitored metric. Judge the
chosen setting on test data that took no part in the search.

Reproducibility: trials are sampled by a sampler seeded from ``(seed, trial number)``
(:class:`TrialSeededSampler`), every fold trains with ``seed`` from a model initialised with
``seed``, and nothing reads the clock; one process with one thread gives the same trials,
scores and models every time, and a search resumed after a kill the same as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import optuna
from optuna.trial import TrialState

from motifnet.data import SeqData
from motifnet.errors import MotifnetError
from motifnet.jsonio import json_safe, write_json
from motifnet.models import resolve_params
from motifnet.training.fit import NonFiniteLossError, default_monitor, fit
from motifnet.training.folds import Folds, kfold
from motifnet.training.options import FitOptions, split_settings
from motifnet.training.space import SearchSpace

DEFAULT_STUDY = "motifnet"
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "none")
TPE_STARTUP_TRIALS = 10
"""Random trials before TPE models the history (Optuna's default)."""
HEARTBEAT_SECONDS = 60
GRACE_SECONDS = 300
"""A trial whose worker has not written a heartbeat for this long (killed) is marked failed and
its setting queued again (once), by the next worker to start a trial."""
STORAGE_ATTEMPTS = 5
"""Tries to open a storage whose tables another worker may be creating at the same moment."""
RECORD_KEY = "motifnet"
STUDY_FILE = "study.db"
TRIALS_FILE = "trials.tsv"
BEST_FILE = "best.json"
BEST_RUN = "best"
ENSEMBLE_RUN = "ensemble"
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
FAILURES_IN_A_ROW = 10
"""A worker gives up after this many failed (diverging) trials in a row."""


@dataclass
class TuneResult:
    """What :func:`tune` returns.

    Attributes:
        study: the Optuna study (every trial, in its storage).
        best_trial, best_value, best_params: the best complete trial, its mean fold score and
            its sampled setting.
        fold_scores: that trial's score on each fold.
        settings: the whole setting of the best trial: ``{"model": params, "training": options}``.
        monitor, direction: the metric ("auroc", "accuracy", "loss", ...) and "maximize"/"minimize".
        folds: the cross-validation folds.
        trials: one row per trial (:func:`trials_table`).
        importances: parameter -> importance (fANOVA, sums to 1; {} with fewer than 2 complete trials).
        new_trials: trials run by this call.
        best_run, ensemble: run folders written (None when not asked for).
    """

    study: Any
    best_trial: int
    best_value: float
    best_params: dict
    fold_scores: list[float]
    settings: dict
    monitor: str
    direction: str
    folds: Folds
    trials: list[dict]
    importances: dict[str, float]
    new_trials: int
    best_run: Path | None = None
    ensemble: Path | None = None


class TrialSeededSampler(optuna.samplers.BaseSampler):
    """A TPE (``kind="tpe"``) or random sampler made afresh for each trial, seeded from
    ``(seed, trial number)``: a search is reproducible, a resumed one samples what an
    uninterrupted one would, and workers sharing a study with the same seed sample different
    settings (their trials have different numbers). TPE reads the history from the study, so
    nothing is lost by making it again."""

    def __init__(self, kind: str = "tpe", seed: int = 0, startup_trials: int = TPE_STARTUP_TRIALS) -> None:
        if kind not in SAMPLERS:
            raise MotifnetError(f"unknown sampler {kind!r}; expected one of {SAMPLERS}")
        self.kind, self.seed, self.startup_trials = kind, seed, startup_trials
        self._number: int | None = None
        self._sampler: optuna.samplers.BaseSampler | None = None

    def _for(self, trial) -> optuna.samplers.BaseSampler:
        if self._sampler is None or self._number != trial.number:
            seed = int(np.random.SeedSequence([self.seed, trial.number]).generate_state(1)[0])
            if self.kind == "tpe":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    self._sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=self.startup_trials,
                                                               constant_liar=True)
            else:
                self._sampler = optuna.samplers.RandomSampler(seed=seed)
            self._number = trial.number
        return self._sampler

    def infer_relative_search_space(self, study, trial):
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study, trial) -> None:
        self._for(trial).before_trial(study, trial)

    def after_trial(self, study, trial, state, values) -> None:
        self._for(trial).after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:  # seeds come from trial numbers
        pass


def storage_url(out_dir: str | Path) -> str:
    """The default storage of a search in ``out_dir``: ``sqlite:///<out_dir>/study.db`` (absolute)."""
    return f"sqlite:///{(Path(out_dir) / STUDY_FILE).resolve()}"


def shown_url(url: str) -> str:
    """The URL with any password hidden, for messages and records."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL sqlalchemy reads: shown as given
        return url


def open_storage(url: str | None):
    """An Optuna storage: in memory for None, else an RDB storage with heartbeats (a killed
    worker's trial is failed after :data:`GRACE_SECONDS` and its setting retried once). Workers
    that start together on a new storage race to create its tables; the loser tries again, up to
    :data:`STORAGE_ATTEMPTS` times.

    Raises:
        MotifnetError: a URL that cannot be opened (bad form, missing driver, unwritable file).
    """
    if url is None:
        return optuna.storages.InMemoryStorage()
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(1, STORAGE_ATTEMPTS + 1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: stable since 2.8
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=engine, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1))
        except Exception as error:  # noqa: BLE001 - sqlalchemy, driver and file errors alike
            if attempt < STORAGE_ATTEMPTS and _creation_race(error):
                time.sleep(0.2 * attempt)  # another worker is creating the same tables: they exist on the next try
                continue
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise MotifnetError(f"cannot open the study storage {shown_url(url)}: {first}") from None


def _creation_race(error: Exception) -> bool:
    """Whether ``error`` is what a worker meets while another creates the same study tables (a
    duplicate row or table, a locked database), not a storage that can never open."""
    name, text = type(error).__name__, str(error).lower()
    return name == "IntegrityError" or (name == "OperationalError" and ("locked" in text or "already exists" in text))


def _normalised(obj: Any) -> Any:
    """The JSON round trip a study's user attributes go through."""
    return json.loads(json.dumps(json_safe(obj)))


def open_study(storage, name: str, record: Mapping[str, Any], direction: str, sampler, pruner, where: str = ""):
    """Create the study ``name`` in ``storage`` or load it, and check that it was made for the
    same search (``record``: space, model, fixed settings, folds, seed, monitor, data).

    Raises:
        MotifnetError: the study exists with another space or other settings, or was not made
            by motifnet, or the storage cannot be used.
    """
    try:
        study = optuna.create_study(storage=storage, study_name=name, direction=direction, sampler=sampler,
                                    pruner=pruner, load_if_exists=True)
    except Exception as error:  # noqa: BLE001 - database errors
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MotifnetError(f"cannot open study {name!r} in {where or 'memory'}: {first}") from None
    record = _normalised(record)
    saved = study.user_attrs.get(RECORD_KEY)
    if saved is None:  # a new study (it may hold settings queued to try first: waiting trials)
        if any(trial.state != TrialState.WAITING for trial in study.get_trials(deepcopy=False)):
            raise MotifnetError(f"study {name!r} in {where} holds trials that motifnet tune did not make; "
                                "choose another --study name")
        study.set_user_attr(RECORD_KEY, record)
        saved = study.user_attrs.get(RECORD_KEY, record)
    _check_record(saved, record, name, where)
    return study


def _check_record(saved: Mapping[str, Any], record: Mapping[str, Any], name: str, where: str) -> None:
    if saved.get("space") != record["space"]:
        old, new = saved.get("space") or {}, record["space"]
        key = next(k for k in list(new) + list(old) if old.get(k) != new.get(k))
        raise MotifnetError(
            f"study {name!r} in {where} was made with another space ({key}: {_brief(old.get(key))} there, "
            f"{_brief(new.get(key))} here); use the same space or another --study name")
    changed = [k for k in record if k != "space" and saved.get(k) != record[k]]
    if changed:
        key = changed[0]
        raise MotifnetError(
            f"study {name!r} in {where} was made with other settings ({key}: {_brief(saved.get(key))} there, "
            f"{_brief(record[key])} here); use the same settings or another --study name")


def _brief(value: Any) -> str:
    return "absent" if value is None else json.dumps(value, sort_keys=True)


def _merge(fixed: Mapping[str, Any], space: SearchSpace) -> tuple[dict, dict]:
    """The fixed ``(model params, training options)``, checked not to name a tuned setting."""
    model, training = split_settings(dict(fixed))
    tuned_model, tuned_training = space.split({name: None for name in space.names})
    both = sorted((set(model) & set(tuned_model)) | (set(training) & set(tuned_training)))
    if both:
        raise MotifnetError(f"{both[0]!r} is both fixed (--set/--config) and in the space; give it once")
    if "seed" in training:
        raise MotifnetError("give the seed as tune(seed=...) (--seed), not as a fixed setting")
    FitOptions.from_dict(training)  # unknown or bad fixed options fail before any training
    return model, training


@dataclass
class _Search:
    """Everything a trial needs."""

    model: str
    preset: str | None
    space: SearchSpace
    fixed_model: dict
    fixed_training: dict
    seed: int
    monitor: str
    stride: int
    parts: list[tuple[SeqData, SeqData]]
    run_info: dict = field(default_factory=dict)

    def setting(self, values: Mapping[str, Any]) -> tuple[dict, dict]:
        model, training = self.space.split(values)
        return {**self.fixed_model, **model}, {**self.fixed_training, **training, "seed": self.seed}

    def value_key(self) -> str:
        return "valid_loss" if self.monitor == "loss" else f"valid_{self.monitor}"

    def run_folds(self, values: Mapping[str, Any], trial=None, work: Path | None = None,
                  warmup: int = 0) -> tuple[list[float], list[int]]:
        """Train one model per fold; ``(best monitored value, best epoch)`` per fold. With a trial,
        each epoch's validation value is reported (step ``fold * stride + epoch``) and the trial
        pruned when the pruner says so (never in a fold's first ``warmup`` epochs); with ``work``,
        fold ``k``'s run folder is ``work/fold<k>``."""
        import torch

        from motifnet.models import build

        model_params, options = self.setting(values)
        scores: list[float] = []
        epochs: list[int] = []
        for k, (train, held) in enumerate(self.parts):
            torch.manual_seed(self.seed)
            model = build(self.model, n_targets=train.n_targets, input_length=train.length, preset=self.preset,
                          in_channels=train.channels, **model_params)
            callback = None if trial is None else self._reporter(trial, k, warmup)
            out = None if work is None else work / f"fold{k + 1}"
            result = fit(model, train, held, out_dir=out, overwrite=True, quiet=True, on_epoch_end=callback,
                         run_info={**self.run_info, "fold": k + 1}, **options)
            scores.append(float(result.best_metric))
            epochs.append(int(result.best_epoch))
            if trial is not None:
                trial.set_user_attr("fold_scores", scores)
                trial.set_user_attr("fold_epochs", epochs)
        return scores, epochs

    def _reporter(self, trial, fold: int, warmup: int) -> Callable[[int, dict], None]:
        key = self.value_key()

        def report(epoch: int, row: dict) -> None:
            value = row.get(key)
            if value is None or not math.isfinite(value):
                return
            trial.report(float(value), fold * self.stride + epoch)
            if epoch > warmup and trial.should_prune():
                trial.set_user_attr("pruned_at", f"fold {fold + 1}, epoch {epoch} ({self.monitor} {value:.4g})")
                raise optuna.TrialPruned()

        return report


def tune(
    data: SeqData,
    model: str,
    space: SearchSpace,
    *,
    trials: int = 30,
    folds: int = 3,
    fold_by: str = "auto",
    fixed: Mapping[str, Any] | None = None,
    preset: str | None = None,
    out_dir: str | Path | None = None,
    storage: str | None = None,
    study_name: str = DEFAULT_STUDY,
    sampler: str = "tpe",
    pruner: str = "median",
    prune_startup: int = 5,
    prune_warmup: int = 1,
    retrain: bool = True,
    ensemble: bool = False,
    seed: int = 0,
    quiet: bool = True,
    run_info: Mapping[str, Any] | None = None,
) -> TuneResult:
    """Search settings of ``model`` on ``data`` by k-fold cross-validation (module doc).

    Args:
        data: the training data (every row takes part in the folds).
        model: a registered model name; ``preset`` its named configuration.
        space: the settings to search (:func:`motifnet.training.space.read_space`).
        trials: finished (complete or pruned) trials the study should hold; a study that holds
            them already runs none (a resumed search runs the rest).
        folds, fold_by: the cross-validation (:func:`motifnet.training.folds.kfold`).
        fixed: settings that are not searched, as ``motifnet train --set`` takes them
            (model parameters and training options such as ``epochs``, ``negatives``, ``augment``).
        out_dir: where the study file (default storage), ``trials.tsv``, ``best.json``, the
            retrained ``best/`` run and the ``ensemble/`` go; None: nothing is written.
        storage: an Optuna storage URL (``sqlite:///path.db``, ``postgresql://...``); default
            ``out_dir/study.db``, or memory without ``out_dir``.
        study_name: the study in that storage; several workers with one name share it.
        sampler: "tpe" (10 random trials, then TPE) or "random".
        pruner: "median" (stop a trial whose validation value at an epoch is worse than the
            median of earlier trials' at the same fold and epoch) or "none".
        prune_startup: complete trials before anything is pruned; prune_warmup: epochs of each
            fold that are never pruned.
        retrain: with ``out_dir``, train the best setting on all of ``data`` into ``out_dir/best``
            (with the ``valid_fraction`` split of ``fit`` for early stopping, as ``motifnet train``).
        ensemble: keep the best trial's fold models as the ensemble run ``out_dir/ensemble``.
        seed: sampling, folds, initialisation and training.
        quiet: no progress lines (default True).
        run_info: extra entries for the run folders' config.json (e.g. data paths).

    Returns:
        A :class:`TuneResult`.

    Raises:
        MotifnetError: bad arguments (``ensemble`` without ``out_dir``), a fixed setting also in
            the space, a study made for another search, no complete trial (all pruned or failed),
            or anything ``fit`` refuses other than a diverging loss (a failed trial).
    """
    if not isinstance(trials, int) or trials < 1:
        raise MotifnetError(f"trials must be an integer >= 1, got {trials}")
    if pruner not in PRUNERS:
        raise MotifnetError(f"unknown pruner {pruner!r}; expected one of {PRUNERS}")
    if ensemble and out_dir is None:
        raise MotifnetError("ensemble needs out_dir (where the fold run folders go)")
    log = (lambda message: None) if quiet else print
    out = None if out_dir is None else Path(out_dir)
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise MotifnetError(f"cannot write the search folder: {error.strerror or error}", path=out) from None
    url = storage if storage is not None else (storage_url(out) if out is not None else None)
    fixed_model, fixed_training = _merge(fixed or {}, space)
    preset = resolve_params(model, preset)[0]  # the default preset by name, so that a study records one
    monitor = fixed_training.get("monitor", "auto")
    monitor = default_monitor(data.task) if monitor == "auto" else monitor
    direction = "minimize" if monitor == "loss" else "maximize"
    split = kfold(data, folds, fold_by, seed)
    epochs_param = space.get("epochs") or space.get("training.epochs")
    stride = int((epochs_param.largest() if epochs_param else None) or fixed_training.get("epochs", FitOptions.epochs))
    info = {**(run_info or {}), "tune": {"study": study_name, "storage": None if url is None else shown_url(url)}}
    search = _Search(model, preset, space, fixed_model, fixed_training, seed, monitor, stride,
                     [(data.subset(train), data.subset(held)) for train, held in split.splits()], info)
    record = {"space": space.to_dict(), "model": model, "preset": preset, "fixed": {**fixed_model, **fixed_training},
              "folds": folds, "fold_by": split.by, "seed": seed, "monitor": monitor,
              "data": {"n": len(data), "length": data.length, "task": data.task, "targets": data.target_names}}
    where = "memory" if url is None else shown_url(url)
    chosen_pruner = (optuna.pruners.MedianPruner(n_startup_trials=prune_startup) if pruner == "median"
                     else optuna.pruners.NopPruner())
    study = open_study(open_storage(url), study_name, record, direction, TrialSeededSampler(sampler, seed),
                       chosen_pruner, where)
    done = _count(study, FINISHED)
    log(f"study {study_name!r} in {where}: {done} of {trials} trials finished; {folds} folds ({split.by}), "
        f"{monitor} ({direction}), sampler {sampler}, pruner {pruner}")
    before = len(study.trials)
    if done < trials:
        objective = _objective(search, out if ensemble else None, prune_warmup)
        study.optimize(objective, catch=(), callbacks=[_progress(log, monitor), _stopper(trials)])
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        raise MotifnetError(f"no trial of study {study_name!r} completed ({_states(study)}); widen the space, "
                            "lower the pruning (--pruner none) or check the data")
    best = study.best_trial
    model_params, options = search.setting(best.params)
    result = TuneResult(
        study=study, best_trial=best.number, best_value=float(best.value), best_params=dict(best.params),
        fold_scores=list(best.user_attrs.get("fold_scores", [])),
        settings={"model": model, "preset": preset, "params": model_params, "training": options},
        monitor=monitor, direction=direction, folds=split, trials=trials_table(study, space),
        importances=param_importances(study, seed), new_trials=len(study.trials) - before)
    log(f"best: trial {best.number}, {monitor} {best.value:.4f} ({_settings_text(best.params)})")
    if out is not None:
        _write_tables(out, result, where)
    if ensemble:
        result.ensemble = _ensure_ensemble(search, out, best, log)
    if retrain and out is not None:
        result.best_run = _retrain(search, data, out / BEST_RUN, best, quiet, log)
    if out is not None:
        _clean_folds(out, study)
    return result


def _clean_folds(out: Path, study) -> None:
    """Remove the fold models that killed trials left in ``out/.folds`` (not those of trials
    still running, which another worker may be training), then the folder if it is empty."""
    folder = out / ".folds"
    if not folder.is_dir():
        return
    running = {f"trial{t.number}" for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
    for path in folder.iterdir():
        if path.name.startswith("trial") and path.name not in running:
            shutil.rmtree(path, ignore_errors=True)
    try:
        folder.rmdir()
    except OSError:
        pass


def _count(study, states) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def _states(study) -> str:
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no trials"


def _settings_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in params.items())


def _objective(search: _Search, out: Path | None, warmup: int) -> Callable:
    """The function Optuna calls per trial: the mean fold score (NaN, a failed trial, when the
    loss diverges). With ``out`` (ensembles), the folds are trained in ``out/.folds/trial<n>``
    and published as ``out/ensemble`` when the trial beats every complete one."""

    def objective(trial) -> float:
        values = search.space.suggest(trial)
        work = None if out is None else out / ".folds" / f"trial{trial.number}"
        try:
            try:
                scores, _ = search.run_folds(values, trial, work, warmup)
            except NonFiniteLossError as error:
                trial.set_user_attr("error", error.message)
                return float("nan")
            value = float(np.mean(scores))
            if work is not None and _beats_complete(trial.study, value):
                _publish_ensemble(work, out / ENSEMBLE_RUN, len(scores), trial.number, value, values, search)
            return value
        finally:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)

    return objective


def _beats_complete(study, value: float) -> bool:
    values = [t.value for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if not values or not math.isfinite(value):
        return math.isfinite(value)
    best = max(values) if study.direction == optuna.study.StudyDirection.MAXIMIZE else min(values)
    return value > best if study.direction == optuna.study.StudyDirection.MAXIMIZE else value < best


def _publish_ensemble(work: Path, target: Path, k: int, number: int, value: float, values: Mapping[str, Any],
                      search: _Search) -> None:
    """Write the ensemble config in ``work`` and move it to ``target`` (replacing an older one)."""
    from motifnet.runs import write_ensemble

    write_ensemble(work, [f"fold{i + 1}" for i in range(k)],
                   info={"tune": {**search.run_info["tune"], "trial": number, "value": value, "params": dict(values)}})
    old = target.parent / ".folds" / f"replaced{number}"
    if target.exists():
        target.rename(old)
    work.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _ensure_ensemble(search: _Search, out: Path, best, log) -> Path:
    """``out/ensemble`` of the best trial: kept from the search, or trained again when another
    worker (machine) found the best trial (the same seeds give the same fold models)."""
    from motifnet.runs import read_config

    target = out / ENSEMBLE_RUN
    try:
        made = read_config(target).get("tune", {})
    except MotifnetError:
        made = {}
    if made.get("trial") == best.number and made.get("study") == search.run_info["tune"]["study"]:
        return target
    log(f"ensemble: training the {len(search.parts)} fold models of trial {best.number} -> {target}")
    work = out / ".folds" / f"trial{best.number}"
    try:
        scores, _ = search.run_folds(best.params, None, work)
        _publish_ensemble(work, target, len(scores), best.number, float(np.mean(scores)), best.params, search)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _retrain(search: _Search, data: SeqData, target: Path, best, quiet: bool, log) -> Path:
    """The best setting trained on all of ``data`` into ``target`` (kept when it is already
    there for this study's best trial)."""
    import torch

    from motifnet.models import build
    from motifnet.runs import METRICS_FILE, read_config

    try:
        made = read_config(target).get("tune", {})
    except MotifnetError:
        made = {}
    if (made.get("trial") == best.number and made.get("study") == search.run_info["tune"]["study"]
            and (target / METRICS_FILE).exists()):
        log(f"{target}: already holds trial {best.number}'s setting retrained")
        return target
    model_params, options = search.setting(best.params)
    log(f"retraining trial {best.number}'s setting on all {len(data)} sequences -> {target}")
    torch.manual_seed(search.seed)
    model = build(search.model, n_targets=data.n_targets, input_length=data.length, preset=search.preset,
                  in_channels=data.channels, **model_params)
    info = {**search.run_info, "tune": {**search.run_info["tune"], "trial": best.number, "value": best.value,
                                        "params": dict(best.params)}}
    fit(model, data, None, out_dir=target, overwrite=True, quiet=quiet, run_info=info, **options)
    return target


def _stopper(trials: int) -> Callable:
    """Stop when the study holds ``trials`` finished trials (whoever ran them), or after
    :data:`FAILURES_IN_A_ROW` failed trials in a row (a space in which every setting diverges)."""
    failed = 0

    def stop(study, trial) -> None:
        nonlocal failed
        failed = failed + 1 if trial.state == TrialState.FAIL else 0
        if failed >= FAILURES_IN_A_ROW or _count(study, FINISHED) >= trials:
            study.stop()

    return stop


def _progress(log, monitor: str) -> Callable:
    def report(study, trial) -> None:
        seconds = f", {trial.duration.total_seconds():.1f} s" if trial.duration else ""
        if trial.state == TrialState.COMPLETE:
            folds = " ".join(f"{s:.4f}" for s in trial.user_attrs.get("fold_scores", []))
            best = study.best_trial
            log(f"trial {trial.number}: {monitor} {trial.value:.4f} (folds {folds}), "
                f"{_settings_text(trial.params)}{seconds}; best trial {best.number} {best.value:.4f}")
        elif trial.state == TrialState.PRUNED:
            log(f"trial {trial.number}: pruned at {trial.user_attrs.get('pruned_at', '?')}, "
                f"{_settings_text(trial.params)}{seconds}")
        else:
            log(f"trial {trial.number}: failed ({trial.user_attrs.get('error', 'no value')}), "
                f"{_settings_text(trial.params)}")

    return report


def trials_table(study, space: SearchSpace) -> list[dict]:
    """One row per trial: trial, state, value (mean fold score), fold1..foldK, each parameter,
    best_epochs, seconds, note (where it was pruned, or why it failed) and, for a pruned trial,
    last_value (its last reported validation value)."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        value = trial.value if trial.state == TrialState.COMPLETE else None  # Optuna gives pruned ones their last
        row: dict = {"trial": trial.number, "state": trial.state.name.lower(), "value": value}
        row.update({f"fold{k + 1}": s for k, s in enumerate(trial.user_attrs.get("fold_scores", []))})
        row.update({name: trial.params.get(name) for name in space.names})
        row["best_epochs"] = " ".join(map(str, trial.user_attrs.get("fold_epochs", []))) or None
        row["seconds"] = round(trial.duration.total_seconds(), 1) if trial.duration else None
        row["note"] = trial.user_attrs.get("pruned_at") or trial.user_attrs.get("error")
        if trial.state == TrialState.PRUNED and trial.intermediate_values:
            row["last_value"] = trial.intermediate_values[max(trial.intermediate_values)]
        rows.append(row)
    return rows


def param_importances(study, seed: int = 0) -> dict[str, float]:
    """fANOVA importance of each parameter for the complete trials' values (summing to 1);
    {} with fewer than 2 complete trials or when it cannot be computed (a single value tried)."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 2:
        return {}
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
        values = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (ValueError, RuntimeError, ZeroDivisionError):
        return {}
    return {name: float(value) for name, value in values.items() if math.isfinite(value)}


def _write_tables(out: Path, result: TuneResult, where: str) -> None:
    """``trials.tsv`` and ``best.json`` in ``out``."""
    from motifnet.io.files import atomic_write

    columns: list[str] = []
    for row in result.trials:
        columns += [key for key in row if key not in columns]
    with atomic_write(out / TRIALS_FILE) as handle:
        handle.write("\t".join(columns) + "\n")
        for row in result.trials:
            handle.write("\t".join(_cell(row.get(c)) for c in columns) + "\n")
    write_json(out / BEST_FILE, {
        "study": result.study.study_name, "storage": where, "trial": result.best_trial, "value": result.best_value,
        "monitor": result.monitor, "direction": result.direction, "params": result.best_params,
        "fold_scores": result.fold_scores, "settings": result.settings,
        "folds": {"k": len(result.folds), "by": result.folds.by, "sizes": [len(h) for h in result.folds.held_out]},
        "trials": {state: sum(row["state"] == state for row in result.trials)
                   for state in ("complete", "pruned", "fail", "running")},
        "importances": result.importances})


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace("\t", " ")


__all__ = ["DEFAULT_STUDY", "PRUNERS", "SAMPLERS", "TrialSeededSampler", "TuneResult", "open_storage", "open_study",
           "param_importances", "storage_url", "trials_table", "tune"]
