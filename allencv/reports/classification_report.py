"""
A classifier's evaluation metrics (`BasicImageClassifier.get_metrics(reset=True)` and its
`get_confusion_matrix()`, as `allennlp evaluate`'s output file holds them) as files a person reads: a confusion-matrix picture, a per-class table and the
pairs of labels the model confuses most.
"""
import csv
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy

from allencv.optional_dependencies import import_optional
from allencv.reports.top_losses import TopLoss, plot_top_losses

from allencv.training.metrics_table import split_per_label, support_by_label  # noqa: E402

#: What `write_classification_report` writes into its folder.
REPORT_FILES = ("confusion_matrix.png", "per_class.csv", "report.md", "metrics.json")


def most_confused_pairs(labels: List[str], counts: List[List[int]], top: int = 10) -> List[Tuple[str, str, int, float]]:
    """
    The `top` off-diagonal cells of a confusion matrix (rows gold, columns predicted) with at least
    one instance, most first: `(gold, predicted, count, share of the gold label's instances)`.
    """
    pairs = []
    for gold, row in enumerate(counts):
        total = sum(row)
        for predicted, count in enumerate(row):
            if gold != predicted and count > 0:
                pairs.append((labels[gold], labels[predicted], count, count / total))
    return sorted(pairs, key=lambda pair: (-pair[2], -pair[3], pair[0], pair[1]))[:top]


def plot_confusion_matrix(labels: List[str], counts: List[List[int]], path: Path, title: str = "") -> None:
    """
    Draws the confusion matrix as a heat map coloured by each gold label's share (rows sum to 1,
    so rare labels stay visible), with the counts written in the cells, and saves it to `path`.
    """
    matrix = numpy.array(counts, dtype=float)
    shares = matrix / numpy.maximum(matrix.sum(axis=1, keepdims=True), 1)
    side = max(4.0, 0.55 * len(labels) + 2.0)
    # A Figure of its own, not pyplot's: it draws to a file with no display, and leaves
    # matplotlib's backend (a notebook's, say) as it was.
    figure = import_optional("matplotlib.figure", "The confusion-matrix picture").Figure(figsize=(side + 1.2, side))
    axes = figure.subplots()
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of the gold label")
    ticks = numpy.arange(len(labels))
    long_names = max(map(len, labels)) > 3
    axes.set_xticks(ticks, labels, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    axes.set_yticks(ticks, labels)
    axes.set_xlabel("predicted label")
    axes.set_ylabel("gold label")
    if len(labels) <= 30:
        for gold in range(len(labels)):
            for predicted in range(len(labels)):
                if counts[gold][predicted]:
                    colour = "white" if shares[gold, predicted] > 0.6 else "black"
                    axes.text(predicted, gold, str(counts[gold][predicted]), ha="center", va="center", color=colour, fontsize=8)
    axes.set_title(title or "Confusion matrix")
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def write_classification_report(
    metrics: Dict[str, Any], output_dir: str, top_pairs: int = 10, top_losses: Optional[List[TopLoss]] = None
) -> Dict[str, Path]:
    """
    Writes `confusion_matrix.png`, `per_class.csv`, `report.md` (overall metrics, the per-class
    table and the most-confused pairs) and `metrics.json` into `output_dir`, and returns their
    paths by name. `metrics` must hold the flat `precision_<label>`, `recall_<label>` and
    `f1_<label>` and the `confusion_matrix` (`labels` and `counts`). With `top_losses` (from
    `find_top_losses`), also `top_losses.png`, their grid, and their table in `report.md`.
    """
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in REPORT_FILES}
    labels, counts = sorted_labels(metrics["confusion_matrix"]["labels"], metrics["confusion_matrix"]["counts"])
    flat = {key: value for key, value in metrics.items() if isinstance(value, (int, float))}
    overall, per_label = split_per_label(flat)
    support = support_by_label({"labels": labels, "counts": counts})
    per_class = {label: dict(per_label[label], support=support[label]) for label in labels}

    title = f"Confusion matrix (accuracy {metrics['accuracy']:.3f}, {sum(map(sum, counts))} images)"
    plot_confusion_matrix(labels, counts, paths["confusion_matrix.png"], title)
    columns = ["precision", "recall", "f1", "support"]
    with open(paths["per_class.csv"], "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["label"] + columns)
        for label in labels:
            writer.writerow([label] + [_format(per_class[label][column]) for column in columns])
    pairs = most_confused_pairs(labels, counts, top_pairs)
    lines = ["# Classification report", "", "| metric | value |", "|---|---|"]
    lines += [f"| {key} | {_format(value)} |" for key, value in sorted(overall.items())]
    lines += ["", "## Per class", "", "| label | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(_format(per_class[label][column]) for column in columns) + " |" for label in labels]
    lines += ["", "## Most confused pairs", ""]
    if pairs:
        lines += ["| gold | predicted as | count | share of gold |", "|---|---|---|---|"]
        lines += [f"| {gold} | {predicted} | {count} | {share:.1%} |" for gold, predicted, count, share in pairs]
    else:
        lines.append("None: every image was classified correctly.")
    lines += ["", "![Confusion matrix](confusion_matrix.png)", ""]
    if top_losses:
        paths["top_losses.png"] = folder / "top_losses.png"
        plot_top_losses(top_losses, paths["top_losses.png"])
        lines += ["## Most confidently wrong", "", "| image | gold | predicted | probability | loss |", "|---|---|---|---|---|"]
        lines += [
            f"| {item.image_path or '-'} | {item.gold} | {item.predicted} | {item.probability:.1%} | {item.loss:.3f} |"
            for item in top_losses
        ]
        lines += ["", "![Most confidently wrong, with the Grad-CAM of each prediction](top_losses.png)", ""]
    paths["report.md"].write_text("\n".join(lines))
    paths["metrics.json"].write_text(json.dumps(metrics, indent=2))
    return paths


def sorted_labels(labels: List[str], counts: List[List[int]]) -> Tuple[List[str], List[List[int]]]:
    """
    The labels in a reader's order (numerically when they are all numbers, else alphabetically)
    instead of the vocabulary's (by frequency), with the confusion matrix's rows and columns
    permuted to match.
    """
    numeric = all(label.lstrip("-").isdigit() for label in labels)
    order = sorted(range(len(labels)), key=lambda index: int(labels[index]) if numeric else labels[index])
    return [labels[index] for index in order], [[counts[gold][predicted] for predicted in order] for gold in order]


def _format(value: Any) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4f}"
