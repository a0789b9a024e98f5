from allencv.models.vision_model import VisionModel
from allencv.models.basic_classifier import BasicImageClassifier
from allencv.models.object_detector import ObjectDetector
from allencv.models.faster_rcnn import FasterRcnn
from allencv.models.retinanet import Retinanet
from allencv.models.fcos import Fcos
from allencv.models.multi_label_classifier import MultiLabelImageClassifier
