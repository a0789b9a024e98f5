from allencv.models.vision_model import VisionModel
from allencv.models.basic_classifier import BasicImageClassifier
