from allencv.training import metrics
