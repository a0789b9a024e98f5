// Mask R-CNN (torchvision's) on COCO instance masks: faster_rcnn.jsonnet's detector plus a mask
// head, with readers that read each box's mask (`masks: true`: polygons, RLE or crowd regions).
// As it stands it learns the generated shapes' instance masks (64 px images, touching and
// overlapping shapes) on a CPU, with a small VGG-style encoder trained from scratch:
//
//   python -m allencv.datasets.detection_shapes data/shapes-masks --size 64 --touching 0.3
//   TRAIN_PATH=data/shapes-masks/train.json VALIDATION_PATH=data/shapes-masks/valid.json \
//   allennlp train training_config/mask_rcnn.jsonnet --include-package allencv -s runs/shapes-masks
//
// The flip moves masks with their boxes (`tv_tensors.Mask`). For real photos: raise
// min_size/max_size, drop anchor_sizes, mask_head_channels and rois_per_image (torchvision's
// head is four 256-channel layers, on 512 proposals per image), use `pretrained_resnet` with
// `weights: "DEFAULT"`, or replace `backbone` and `feature_stages` by
// `torchvision_model: "maskrcnn_resnet50_fpn_v2", weights: "DEFAULT"` for torchvision's COCO model.
// For Pascal VOC: `type: "voc_detection", masks: true` on ImageSets/Segmentation/<split>.txt.
local train_reader = { type: "coco_detection", masks: true, transforms: [{ type: "horizontal_flip" }] };
local validation_reader = { type: "coco_detection", masks: true };

{
  dataset_reader: train_reader,
  validation_dataset_reader: validation_reader,
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "mask_rcnn",
    // Strides 1, 2, 4 and 8; the pyramid uses the last three (plus a max-pooled stride 16).
    backbone: { type: "small_cnn", stage_channels: [16, 32, 64, 128] },
    feature_stages: ["stage2", "stage3", "stage4"],
    fpn_channels: 32,
    anchor_sizes: [16, 32, 64, 128],
    mask_head_channels: [32, 32],
    rois_per_image: 128,
    min_size: 64,
    max_size: 64,
  },
  data_loader: { batch_size: 8, shuffle: true },
  validation_data_loader: { batch_size: 16 },
  evaluation: { type: "summary" },
  trainer: {
    optimizer: { type: "sgd", lr: 0.02, momentum: 0.9, weight_decay: 0.0001 },
    learning_rate_scheduler: { type: "cosine", t_initial: 12 },
    num_epochs: 12,
    grad_norm: 10.0,
    validation_metric: "+mask_map_50",
    // The detectors compute no validation loss: report none rather than allennlp's 0.
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "drop_unmeasured_validation_loss" }, { type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
  },
}
