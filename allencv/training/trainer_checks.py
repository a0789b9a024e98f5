"""
Trainer settings that allennlp accepts but cannot train with. With `trainer.num_epochs` of 0 or
less, allennlp's `GradientDescentTrainer` trains nothing, saves no `best.th`, and `allennlp train`
then stops with "best.th does not exist", naming neither the key nor the fix. Importing `allencv`
wraps the trainer's constructor (which `allennlp train` and Python callers both go through) so
that such a value fails there, naming the key, before the first batch.
"""
import functools
import inspect

from allennlp.common.checks import ConfigurationError
from allennlp.training.gradient_descent_trainer import GradientDescentTrainer


def check_num_epochs(num_epochs: int) -> None:
    if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs < 1:
        raise ConfigurationError(
            f"trainer.num_epochs must be a whole number of at least 1, got {num_epochs!r}; "
            "with none, nothing is trained and no model is saved."
        )


def check_trainer_settings_when_trainers_are_built() -> None:
    original = GradientDescentTrainer.__init__
    if getattr(original, "checks_trainer_settings", False):
        return
    signature = inspect.signature(original)

    @functools.wraps(original)
    def checked_init(self, *args, **kwargs) -> None:
        bound = signature.bind(self, *args, **kwargs)
        check_num_epochs(bound.arguments.get("num_epochs", signature.parameters["num_epochs"].default))
        original(self, *args, **kwargs)

    checked_init.checks_trainer_settings = True
    GradientDescentTrainer.__init__ = checked_init
