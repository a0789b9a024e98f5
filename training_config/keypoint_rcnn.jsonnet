// Keypoint R-CNN (torchvision's) on COCO keypoint data: faster_rcnn.jsonnet's detector plus a
// keypoint head, with readers that read the keypoints (`keypoints: true`). As it stands it learns
// the generated shapes' keypoints (top, bottom_left, bottom_right of each shape) on a CPU:
//
//   python -m allencv.datasets.detection_shapes data/shapes
//   TRAIN_PATH=data/shapes/train.json VALIDATION_PATH=data/shapes/valid.json \
//   allennlp train training_config/keypoint_rcnn.jsonnet --include-package allencv -s runs/shapes-keypoints
//
// The flip swaps bottom_left and bottom_right (names with "left" pair with their "right" names,
// as COCO's person keypoints do; see `keypoint_flip_pairs`). For people: point the paths at
// COCO's person_keypoints_*.json (with `image_root`), raise min_size/max_size, drop anchor_sizes
// and keypoint_head_channels (torchvision's head is eight 512-channel layers), or replace
// `backbone` by `torchvision_model: "keypointrcnn_resnet50_fpn", weights: "DEFAULT"`.
local train_reader = { type: "coco_detection", keypoints: true, transforms: [{ type: "horizontal_flip" }] };
local validation_reader = { type: "coco_detection", keypoints: true };

{
  dataset_reader: train_reader,
  validation_dataset_reader: validation_reader,
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "keypoint_rcnn",
    backbone: { type: "pretrained_resnet", resnet_model: "resnet18", weights: null, pool: null },
    fpn_channels: 64,
    anchor_sizes: [16, 32, 64, 128, 256],
    keypoint_head_channels: [32, 32, 32, 32],
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
