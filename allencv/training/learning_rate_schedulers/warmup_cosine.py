import math

from allennlp.training.learning_rate_schedulers import LearningRateScheduler, PolynomialDecay


@LearningRateScheduler.register("warmup_cosine")
class WarmupCosine(PolynomialDecay):
    """
    Per batch: raises the learning rate linearly from 0 to the optimizer's `lr` over the first
    `warmup_steps` batches, then lowers it along a half cosine to `end_learning_rate` at the last
    batch of the last epoch (torchvision's and timm's usual schedule). allennlp's own
    `cosine_with_warmup` counts epochs instead and needs the total given; this one reads
    `num_epochs` and `num_steps_per_epoch` from the trainer, like `linear_with_warmup`.

    Registered as a `LearningRateScheduler` with name "warmup_cosine".

    # Parameters

    warmup_steps : `int`, optional (default = `0`)
    end_learning_rate : `float`, optional (default = `0.0`)
    """

    def get_values(self):
        if self.steps < self.warmup_steps:
            return [self.steps / self.warmup_steps * lr for lr in self.base_values]
        progress = min(1.0, (self.steps - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps))
        factor = 0.5 * (1.0 + math.cos(math.pi * progress))
        return [self.end_learning_rate + factor * (lr - self.end_learning_rate) for lr in self.base_values]
