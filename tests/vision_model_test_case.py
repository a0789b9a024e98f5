import copy

from allennlp.common.testing import ModelTestCase


class VisionModelTestCase(ModelTestCase):
    """
    allennlp's `ModelTestCase` for models with batch norm: its gradient check runs a
    training-mode forward pass, which moves batch norm's running statistics; they are restored
    so that the saved and the loaded model can be compared afterwards.
    """

    @staticmethod
    def check_model_computes_gradients_correctly(model, model_batch, *args, **kwargs):
        state = copy.deepcopy(model.state_dict())
        ModelTestCase.check_model_computes_gradients_correctly(model, model_batch, *args, **kwargs)
        model.load_state_dict(state)
