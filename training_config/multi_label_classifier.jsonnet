// Multi-label classification from manifests: every label that applies to an image, from a
// pretrained resnet18 with one sigmoid per label. TRAIN_PATH and VALIDATION_PATH are CSV or
// JSON Lines files, one row per image, with a path relative to the file and a list of labels:
//
//   {"path": "images/1.jpg", "labels": ["cat", "dog"]}        (JSON Lines)
//   path,labels / images/1.jpg,cat|dog                         (CSV)
//
//   TRAIN_PATH=data/train.jsonl VALIDATION_PATH=data/valid.jsonl \
//   allennlp train training_config/multi_label_classifier.jsonnet --include-package allencv -s runs/tags
local imagenet_normalize = { type: "normalize", mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
local reader(transforms) = { type: "image_manifest", multi_label: true, transforms: transforms + [imagenet_normalize] };

{
  dataset_reader: reader([{ type: "random_resized_crop", size: 224, scale: [0.5, 1.0] }]),
  validation_dataset_reader: reader([{ type: "resize", size: 256 }, { type: "center_crop", size: 224 }]),
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "multi_label_image_classifier",
    im2im_encoder: { type: "pretrained_resnet", resnet_model: "resnet18" },
    im2vec_encoder: { type: "flatten", input_channels: 512, input_height: 1, input_width: 1 },
    threshold: 0.5,
  },
  data_loader: { batch_size: 32, shuffle: true },
  validation_data_loader: { batch_size: 64 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adam", lr: 0.0001 },
    num_epochs: 10,
    validation_metric: "+mAP",
  },
}
