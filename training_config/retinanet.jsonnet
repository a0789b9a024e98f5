// RetinaNet (torchvision's, focal loss) on COCO-format data: the Faster R-CNN config's setup
// with a one-stage detector over layer2-layer4 of a ResNet-18 plus P6/P7. Sized for the
// generated shapes dataset:
//
//   python -m allencv.datasets.detection_shapes data/shapes
//   TRAIN_PATH=data/shapes/train.json VALIDATION_PATH=data/shapes/valid.json \
//   allennlp train training_config/retinanet.jsonnet --include-package allencv -s runs/shapes-retinanet
//
// `type: "fcos"` trains torchvision's anchor-free FCOS with the same keys. For real photos see
// the notes in faster_rcnn.jsonnet (e.g. `torchvision_model: "retinanet_resnet50_fpn_v2"`).
local train_reader = { type: "coco_detection", transforms: [{ type: "horizontal_flip" }] };

{
  dataset_reader: train_reader,
  validation_dataset_reader: { type: "coco_detection" },
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "retinanet",
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
    optimizer: { type: "sgd", lr: 0.01, momentum: 0.9, weight_decay: 0.0001 },
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
