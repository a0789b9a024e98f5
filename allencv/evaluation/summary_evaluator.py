import logging
from os import PathLike
from typing import Any, Dict, Optional, Union

import torch
from allennlp.common.util import dump_metrics
from allennlp.data import DataLoader
from allennlp.evaluation import Evaluator
from allennlp.evaluation.evaluator import SimpleEvaluator
from allennlp.evaluation.serializers.serializers import Serializer
from allennlp.models import Model

from allencv.training.metrics_table import metrics_table, support_by_label

logger = logging.getLogger(__name__)


@Evaluator.register("summary")
class SummaryEvaluator(SimpleEvaluator):
    """
    allennlp's `simple` evaluator, which also logs the metrics as one table (overall metrics,
    then a row per label), with or without `--output-file` (allennlp's own logs them only when
    writing the file), and adds a classifier's `confusion_matrix` (`labels` and `counts`, rows
    gold, columns predicted) to the output file. AllenCV's shipped configs select it with
    `evaluation: { type: "summary" }`.

    Registered as an `Evaluator` with name "summary".

    # Parameters

    batch_serializer : `Serializer`, optional
        Writes the predictions of `--predictions-output-file` (allennlp's `simple` by default).
    cuda_device : `Union[int, torch.device]`, optional (default = `-1`)
    postprocessor_fn_name : `str`, optional (default = `"make_output_human_readable"`)
    """

    def __init__(
        self,
        batch_serializer: Optional[Serializer] = None,
        cuda_device: Union[int, torch.device] = -1,
        postprocessor_fn_name: str = "make_output_human_readable",
    ) -> None:
        super().__init__(batch_serializer, cuda_device, postprocessor_fn_name)

    def __call__(
        self,
        model: Model,
        data_loader: DataLoader,
        batch_weight_key: str = None,
        metrics_output_file: Union[str, PathLike] = None,
        predictions_output_file: Union[str, PathLike] = None,
    ) -> Dict[str, Any]:
        metrics = super().__call__(model, data_loader, batch_weight_key, None, predictions_output_file)
        confusion_matrix = model.get_confusion_matrix() if hasattr(model, "get_confusion_matrix") else None
        logger.info("Evaluation metrics:\n%s", metrics_table({"evaluation": metrics}, support=support_by_label(confusion_matrix)))
        if metrics_output_file is not None:
            written = dict(metrics, confusion_matrix=confusion_matrix) if confusion_matrix else metrics
            dump_metrics(str(metrics_output_file), written)
            logger.info("Wrote the metrics to %s", metrics_output_file)
        return metrics

    def _to_params(self) -> Dict[str, Any]:
        return dict(super()._to_params(), type="summary")
