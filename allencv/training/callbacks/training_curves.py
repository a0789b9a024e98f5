import json
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

from allennlp.training.callbacks.callback import TrainerCallback

logger = logging.getLogger(__name__)

#: What `TrainingCurves` writes into the serialization folder.
CURVES_FILE = "training_curves.png"


@TrainerCallback.register("training_curves")
class TrainingCurves(TrainerCallback):
    """
    At the end of training, draws `training_curves.png` in the serialization folder: the training
    and validation loss, the other training and validation metrics (per-label metrics left out),
    and the learning rate, per epoch, from allennlp's `metrics_epoch_N.json` files (so the epochs
    before a `--recover` are drawn too). matplotlib is imported only then.

    Registered as a `TrainerCallback` with name "training_curves".
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self._learning_rates: Dict[int, float] = {}

    def on_epoch(
        self,
        trainer: Any,
        metrics: Dict[str, Any],
        epoch: int,
        is_primary: bool = True,
        **kwargs,
    ) -> None:
        if epoch >= 0 and trainer is not None and trainer.optimizer is not None:
            self._learning_rates[epoch] = float(trainer.optimizer.param_groups[0]["lr"])

    def on_end(
        self,
        trainer: Any,
        metrics: Optional[Dict[str, Any]] = None,
        epoch: Optional[int] = None,
        is_primary: bool = True,
        **kwargs,
    ) -> None:
        if not is_primary:
            return
        epochs = read_epoch_metrics(Path(self.serialization_dir))
        if epochs:
            path = Path(self.serialization_dir) / CURVES_FILE
            plot_training_curves(epochs, self._learning_rates, path)
            logger.info("Training curves: %s", path)

    def state_dict(self) -> Dict[str, Any]:
        return {"learning_rates": dict(self._learning_rates)}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self._learning_rates = {int(epoch): rate for epoch, rate in state_dict.get("learning_rates", {}).items()}


def read_epoch_metrics(serialization_dir: Path) -> List[Dict[str, Any]]:
    """allennlp's `metrics_epoch_N.json` files of `serialization_dir`, in epoch order."""
    files = {int(re.search(r"(\d+)", path.name).group(1)): path for path in serialization_dir.glob("metrics_epoch_*.json")}
    return [json.loads(files[epoch].read_text()) for epoch in sorted(files)]


def plot_training_curves(epochs: List[Dict[str, Any]], learning_rates: Dict[int, float], path: Path) -> None:
    """One panel for the loss, one per other metric (training and validation lines), one for the learning rate."""
    import matplotlib.figure  # lazily: only training needs it, and pyplot's global backend is left alone

    from allencv.training.metrics_table import is_per_label

    names: List[str] = []
    for epoch in epochs:
        for key, value in epoch.items():
            for split in ("training_", "validation_"):
                name = key[len(split):]
                wanted = isinstance(value, (int, float)) and not is_per_label(name) and not name.endswith(("_MB", "duration"))
                if key.startswith(split) and wanted and name not in names:
                    names.append(name)
    names.sort(key=lambda name: (name != "loss", name))
    panels = names + (["learning rate"] if learning_rates else [])
    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    figure = matplotlib.figure.Figure(figsize=(4.2 * columns, 3.2 * rows))
    axes_list = figure.subplots(rows, columns, squeeze=False).reshape(-1)
    numbers = [epoch.get("epoch", index) + 1 for index, epoch in enumerate(epochs)]
    for axes, name in zip(axes_list, panels):
        if name == "learning rate":
            axes.plot([epoch + 1 for epoch in sorted(learning_rates)], [learning_rates[epoch] for epoch in sorted(learning_rates)], marker="o")
        else:
            for split in ("training", "validation"):
                values = [(number, epoch.get(f"{split}_{name}")) for number, epoch in zip(numbers, epochs)]
                values = [(number, value) for number, value in values if isinstance(value, (int, float))]
                if values:
                    axes.plot(*zip(*values), marker="o", label=split)
            axes.legend(fontsize=8)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
    for axes in axes_list[len(panels):]:
        axes.set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
