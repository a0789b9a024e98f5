from allennlp.evaluation import Evaluator

from allencv.evaluation.summary_evaluator import SummaryEvaluator

# `allennlp evaluate` uses "summary" when the config names no evaluator, so a user's own config
# prints the metrics table too; `evaluation: {type: "simple"}` gives allennlp's.
Evaluator.default_implementation = "summary"
