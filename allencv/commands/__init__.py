from allencv.commands.classification_report import ClassificationReport
from allencv.commands.export import Export
from allencv.commands.predict_images import PredictImages
from allencv.commands.serve import Serve
