"""
Flat metrics (`Model.get_metrics`, as `allennlp train` and `allennlp evaluate` report them) as one
table a person reads: a row per overall metric, then a row per label for the per-label metrics
(`precision_<label>`, `recall_<label>`, `f1_<label>` of the classifiers, `AP_<label>` of the
detectors, `iou_<class>` of segmentation).
"""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

#: The per-label metric names, `<name>_<label>`, in the order of the per-label table's columns.
PER_LABEL_METRICS = ("precision", "recall", "f1", "AP", "iou")


def is_per_label(key: str) -> bool:
    """Whether `key` (without a `training_`/`validation_` prefix) names a per-label metric."""
    name, _, label = key.partition("_")
    return name in PER_LABEL_METRICS and bool(label)


def split_per_label(metrics: Mapping[str, float]) -> Tuple[Dict[str, float], Dict[str, Dict[str, float]]]:
    """
    `(overall, per_label)`: the metrics that are not per label, and the per-label ones as
    `{label: {metric: value}}`, labels in the order they first appear.
    """
    overall: Dict[str, float] = {}
    per_label: Dict[str, Dict[str, float]] = {}
    for key, value in metrics.items():
        if is_per_label(key):
            name, _, label = key.partition("_")
            per_label.setdefault(label, {})[name] = value
        else:
            overall[key] = value
    return overall, per_label


def metrics_table(
    columns: Mapping[str, Mapping[str, float]],
    per_label_column: Optional[str] = None,
    support: Optional[Mapping[str, int]] = None,
) -> str:
    """
    The table of one or more sets of flat metrics (e.g. `{"training": ..., "validation": ...}`),
    a column each: the overall metrics first, then the per-label metrics of the set named
    `per_label_column` (default: the last), a row per label, with each label's `support` (number
    of gold instances) when given.
    """
    names = list(columns)
    split = {name: split_per_label(metrics) for name, metrics in columns.items()}
    rows: List[str] = []
    keys: List[str] = []
    for overall, _ in split.values():
        keys += [key for key, value in overall.items() if key not in keys and _is_number(value)]
    if keys:
        width = max(len(key) for key in keys)
        rows.append("  ".join([" " * width] + [f"{name:>12}" for name in names]))
        for key in keys:
            cells = [_cell(split[name][0].get(key)) for name in names]
            rows.append("  ".join([f"{key:<{width}}"] + cells))
    per_label = split[per_label_column or names[-1]][1] if names else {}
    if per_label:
        metric_names = [name for name in PER_LABEL_METRICS if any(name in values for values in per_label.values())]
        if support:
            metric_names.append("support")
        width = max(len("label"), *(len(label) for label in per_label))
        rows += ["", "  ".join([f"{'label':<{width}}"] + [f"{name:>12}" for name in metric_names])]
        for label, values in per_label.items():
            values = dict(values, support=(support or {}).get(label))
            rows.append("  ".join([f"{label:<{width}}"] + [_cell(values.get(name)) for name in metric_names]))
    return "\n".join(rows)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: object) -> str:
    if value is None:
        return f"{'':>12}"
    if isinstance(value, int):
        return f"{value:>12d}"
    return f"{value:>12.4f}"


def support_by_label(confusion_matrix: Optional[Mapping[str, Sequence]]) -> Optional[Dict[str, int]]:
    """Each label's number of gold instances, from a classifier's confusion matrix."""
    if confusion_matrix is None:
        return None
    return {label: sum(row) for label, row in zip(confusion_matrix["labels"], confusion_matrix["counts"])}
