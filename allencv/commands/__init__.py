from allencv.commands.classification_report import ClassificationReport
from allencv.commands.export import Export
