from allencv.training import callbacks, learning_rate_schedulers
