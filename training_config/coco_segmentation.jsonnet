// Semantic segmentation from COCO instances files (polygons or RLE, e.g. labelme's labelme2coco.py
// export): torchvision's DeepLabV3 (MobileNetV3-Large) for the file's categories, plus the
// background. As written it trains from scratch, which runs offline anywhere; for real data start
// from torchvision's weights (set weights: "DEFAULT", or weights_path to a local checkpoint):
//
//   TRAIN_PATH=data/coco/train.json VALIDATION_PATH=data/coco/valid.json \
//   allennlp train training_config/coco_segmentation.jsonnet --include-package allencv -s runs/coco
//
// Images are read from the JSON file's folder (their `file_name`s are relative to it; set
// image_root otherwise) and resized to 256x256; resize less for small objects.
local size = [256, 256];

{
  dataset_reader: {
    type: "coco_segmentation",
    transforms: [{ type: "resize", size: size }, { type: "horizontal_flip" }, { type: "normalize" }],
  },
  validation_dataset_reader: {
    type: "coco_segmentation",
    transforms: [{ type: "resize", size: size }, { type: "normalize" }],
  },
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "torchvision_segmentation",
    model_name: "deeplabv3_mobilenet_v3_large",
    weights: null,
    weights_backbone: null,
  },
  data_loader: { batch_size: 8, shuffle: true },
  validation_data_loader: { batch_size: 8 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adam", lr: 0.001 },
    num_epochs: 10,
    validation_metric: "+mean_iou",
  },
}
