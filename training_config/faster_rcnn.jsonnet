// Faster R-CNN on COCO-format data: a ResNet-18 under a feature pyramid (torchvision's
// FasterRCNN), trained from scratch. As it stands it fits the generated shapes dataset
// (128 px images, objects of 16-48 px) on a CPU in minutes:
//
//   python -m allencv.datasets.detection_shapes data/shapes
//   TRAIN_PATH=data/shapes/train.json VALIDATION_PATH=data/shapes/valid.json \
//   allennlp train training_config/faster_rcnn.jsonnet --include-package allencv -s runs/shapes
//
// For real photos: raise min_size/max_size (torchvision's defaults are 800/1333) and drop
// anchor_sizes (they then default to 32-512 px); start from ImageNet with `weights: "DEFAULT"`
// and resnet50, or replace `backbone` by `torchvision_model: "fasterrcnn_resnet50_fpn",
// weights: "DEFAULT"` for torchvision's COCO-trained detector. Detection models normalize
// images themselves, so the readers have no `normalize`; for Pascal VOC use
// `type: "voc_detection"` and point the paths at a VOC folder.
local train_reader = { type: "coco_detection", transforms: [{ type: "horizontal_flip" }] };
local validation_reader = { type: "coco_detection" };

{
  dataset_reader: train_reader,
  validation_dataset_reader: validation_reader,
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "faster_rcnn",
    backbone: { type: "pretrained_resnet", resnet_model: "resnet18", weights: null, pool: null },
    fpn_channels: 64,
    anchor_sizes: [16, 32, 64, 128, 256],
    min_size: 128,
    max_size: 128,
  },
  data_loader: { batch_size: 8, shuffle: true },
  validation_data_loader: { batch_size: 16 },
  evaluation: { type: "summary" },
  trainer: {
    optimizer: { type: "sgd", lr: 0.02, momentum: 0.9, weight_decay: 0.0001 },
    learning_rate_scheduler: { type: "cosine", t_initial: 12 },
    num_epochs: 12,
    grad_norm: 10.0,
    validation_metric: "+map_50",
    // The detectors compute no validation loss: report none rather than allennlp's 0.
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "drop_unmeasured_validation_loss" }, { type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
  },
}
