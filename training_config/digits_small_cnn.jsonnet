// The digits (`python -m allencv.datasets.digits data/digits`) with a small CNN whose last feature
// map keeps positions (stride 4, a 6x6 map of the 24px images) and global average pooling, so
// that Grad-CAM can show where each prediction looked: `allennlp classification-report` draws the
// most confidently wrong test images with their CAMs (tutorials/evaluation.md). digits_classifier's
// ResNet pools its map to 1x1, which leaves Grad-CAM no positions to tell apart.
//
//   TRAIN_PATH=data/digits/train VALIDATION_PATH=data/digits/valid \
//   allennlp train training_config/digits_small_cnn.jsonnet --include-package allencv -s runs/digits_cnn
local normalize = { type: "normalize", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
local reader = { type: "image_classification_directory", transforms: [{ type: "resize", size: [24, 24] }, normalize] };

{
  dataset_reader: reader,
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  vocabulary: { type: "sorted_labels" },
  datasets_for_vocab_creation: ["train"],
  model: {
    type: "basic_image_classifier",
    im2im_encoder: { type: "small_cnn", stage_channels: [32, 64, 128], convs_per_stage: 2 },
    im2vec_encoder: { type: "global_pool", input_channels: 128 },
  },
  data_loader: { type: "torch", batch_size: 32, shuffle: true },
  validation_data_loader: { batch_size: 128 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adamw", lr: 0.003, weight_decay: 0.01 },
    num_epochs: 3,
    validation_metric: "+accuracy",
    cuda_device: -1,
  },
}
