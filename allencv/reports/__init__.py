from allencv.reports.classification_report import (
    most_confused_pairs,
    plot_confusion_matrix,
    write_classification_report,
)
from allencv.reports.top_losses import TopLoss, find_top_losses, plot_top_losses
