// Semantic segmentation: a ResNet-18 encoder, an FPN decoder over its four stages and a 1x1
// classifier, trained on images/ + masks/ folders (masks are palette PNGs of class indices, as in
// Pascal VOC). As written it trains from scratch on the generated shapes dataset:
//
//   python -m allencv.datasets.segmentation_shapes data/shapes
//   TRAIN_PATH=data/shapes/train VALIDATION_PATH=data/shapes/valid \
//   allennlp train training_config/semantic_segmentation.jsonnet --include-package allencv -s runs/shapes
//
// For Pascal VOC: drop `class_names` (VOC's 21 are the default), set image_folder "JPEGImages" and
// mask_folder "SegmentationClass", resize to a few hundred pixels, and start from ImageNet weights
// (weights: "DEFAULT"; offline, put resnet18-f37072fd.pth in $TORCH_HOME/hub/checkpoints).
local class_names = ["background", "circle", "square", "triangle"];
local normalize = { type: "normalize" };

{
  dataset_reader: {
    type: "semantic_segmentation_directory",
    class_names: class_names,
    transforms: [{ type: "horizontal_flip" }, normalize],
  },
  validation_dataset_reader: {
    type: "semantic_segmentation_directory",
    class_names: class_names,
    transforms: [normalize],
  },
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "semantic_segmentation",
    encoder: { type: "pretrained_resnet", resnet_model: "resnet18", weights: null, pool: null },
    decoder: { type: "fpn", pyramid_channels: 64, output_channels: 64 },
  },
  data_loader: { batch_size: 16, shuffle: true },
  validation_data_loader: { batch_size: 32 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adam", lr: 0.002 },
    num_epochs: 10,
    validation_metric: "+mean_iou",
  },
}
