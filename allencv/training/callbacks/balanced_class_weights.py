import logging
from collections import Counter

from allennlp.common.checks import ConfigurationError
from allennlp.training.callbacks import TrainerCallback

logger = logging.getLogger(__name__)


@TrainerCallback.register("balanced_class_weights")
class BalancedClassWeights(TrainerCallback):
    """
    Before training, counts the labels of the training data and gives a `BasicImageClassifier`
    configured with `class_weights: "balanced"` the weights `n_images / (n_labels *
    n_images_of_label)`, so rare labels weigh more in the loss. The weights are saved with the
    model, so evaluating or predicting with it needs neither the data nor this callback.

    Registered as a `TrainerCallback` with name "balanced_class_weights".
    """

    def on_start(self, trainer, is_primary: bool = True, **kwargs) -> None:
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        loss = getattr(trainer.model, "classification_loss", None)
        if loss is None or not loss.balanced:
            raise ConfigurationError(
                'The balanced_class_weights callback needs a model with class_weights: "balanced".'
            )
        counts = Counter(
            instance["label"].label
            for instance in trainer.data_loader.iter_instances()
            if "label" in instance.fields
        )
        loss.set_class_weights_from_counts(dict(counts))
        logger.info("Balanced class weights from the training counts %s", dict(counts))
