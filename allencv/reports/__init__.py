from allencv.reports.classification_report import (
    most_confused_pairs,
    plot_confusion_matrix,
    write_classification_report,
)
