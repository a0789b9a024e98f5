import time
from typing import Any, Dict, List, Optional

import torch
from allennlp.data import TensorDict
from allennlp.training.callbacks.callback import TrainerCallback


@TrainerCallback.register("images_per_second")
class ImagesPerSecond(TrainerCallback):
    """
    Shows the training throughput in allennlp's progress bar, as `images_per_s`: the images
    of this epoch's batches since its first one, over the wall time since then (data loading
    included), in this process. The bar shows the batch metrics that callbacks receive in
    `on_batch`, so the number goes there only: epoch metrics, `metrics.json` and TensorBoard keep
    the model's flat metrics. `console_metrics` includes it; importing AllenCV adds it to allennlp's
    default callbacks.

    Registered as a `TrainerCallback` with name "images_per_second".
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self._epoch: Optional[int] = None
        self._started = 0.0
        self._images = 0

    def on_batch(
        self,
        trainer: Any,
        batch_inputs: List[TensorDict],
        batch_outputs: List[Dict[str, Any]],
        batch_metrics: Dict[str, Any],
        epoch: int,
        batch_number: int,
        is_training: bool,
        is_primary: bool = True,
        batch_grad_norm: Optional[float] = None,
        **kwargs,
    ) -> None:
        if not is_training:
            return
        now = time.perf_counter()
        if epoch != self._epoch:  # the first batch of an epoch starts the clock
            self._epoch, self._started, self._images = epoch, now, 0
            return
        self._images += sum(count_images(batch) for batch in batch_inputs)
        if now > self._started:
            batch_metrics["images_per_s"] = self._images / (now - self._started)


def count_images(batch: TensorDict) -> int:
    """The number of images of a batch: the first dimension of its `image` tensor (B, C, H, W)."""
    image = batch.get("image")
    return int(image.shape[0]) if isinstance(image, torch.Tensor) else 0
