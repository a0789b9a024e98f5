from allencv.commands import predict  # noqa: F401  (one output record per input line)
from allencv.commands.classification_report import ClassificationReport
from allencv.commands.export import Export
from allencv.commands.predict_images import PredictImages
from allencv.commands.serve import Serve
from allencv.commands.show_batch import ShowBatch
