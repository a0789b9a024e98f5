import json

import PIL.Image

from allencv.reports import most_confused_pairs, write_classification_report
from allencv.reports.classification_report import sorted_labels

LABELS = ["cat", "dog", "fox"]
COUNTS = [[5, 3, 0], [1, 6, 0], [0, 3, 2]]


def test_most_confused_pairs_are_off_diagonal_cells_most_first():
    # Equal counts: the larger share of the gold label first.
    assert most_confused_pairs(LABELS, COUNTS, top=2) == [("fox", "dog", 3, 3 / 5), ("cat", "dog", 3, 3 / 8)]
    assert most_confused_pairs(LABELS, [[2, 0], [0, 1]]) == []


def test_writes_the_picture_the_tables_and_the_metrics(tmp_path):
    metrics = {"accuracy": 0.65, "macro_f1": 0.6, "loss": 0.9, "confusion_matrix": {"labels": LABELS, "counts": COUNTS}}
    for label in LABELS:
        metrics.update({f"precision_{label}": 0.5, f"recall_{label}": 0.25, f"f1_{label}": 1 / 3})
    paths = write_classification_report(metrics, str(tmp_path / "report"), top_pairs=2)
    with PIL.Image.open(paths["confusion_matrix.png"]) as image:
        assert image.width > 300 and image.height > 300
    assert (tmp_path / "report" / "per_class.csv").read_text().splitlines()[1] == "cat,0.5000,0.2500,0.3333,8"
    report = paths["report.md"].read_text()
    assert "| accuracy | 0.6500 |" in report and "precision_cat" not in report and "| fox | dog | 3 | 60.0% |" in report
    assert report.index("| fox | dog |") < report.index("| cat | dog |")
    assert json.loads(paths["metrics.json"].read_text()) == metrics


def test_labels_are_sorted_numerically_with_the_matrix_permuted():
    assert sorted_labels(["10", "2", "1"], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == (
        ["1", "2", "10"], [[9, 8, 7], [6, 5, 4], [3, 2, 1]])
    assert sorted_labels(["dog", "cat"], [[1, 2], [3, 4]]) == (["cat", "dog"], [[4, 3], [2, 1]])
