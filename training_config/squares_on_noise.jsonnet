// A small CNN that learns the colour of a square on noise (`allencv.datasets.squares_on_noise`),
// for checking that its Grad-CAM points at the square: `python -m benchmarks.cam_localisation`
// writes the data, trains this config through `allennlp train` and reports the share of correctly
// classified test images whose CAM peak falls inside the square.
//
//   python -m allencv.datasets.squares_on_noise data/squares
//   TRAIN_PATH=data/squares/train VALIDATION_PATH=data/squares/valid \
//   allennlp train training_config/squares_on_noise.jsonnet --include-package allencv -s runs/squares
//
// The encoder keeps stride 4 (a 12x12 map of a 48px image), and global average pooling makes the
// label a sum over positions, so the CAM of the last feature map can say where the square is.
local normalize = { type: "normalize", mean: [0.5, 0.5, 0.5], std: [0.29, 0.29, 0.29] };

{
  dataset_reader: {
    type: "image_classification_directory",
    transforms: [{ type: "horizontal_flip" }, normalize],
  },
  validation_dataset_reader: { type: "image_classification_directory", transforms: [normalize] },
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "basic_image_classifier",
    im2im_encoder: { type: "small_cnn", stage_channels: [16, 32, 64], convs_per_stage: 1 },
    im2vec_encoder: { type: "global_pool", input_channels: 64 },
  },
  data_loader: { type: "torch", batch_size: 32, shuffle: true },
  validation_data_loader: { batch_size: 64 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adamw", lr: 0.003, weight_decay: 0.01 },
    num_epochs: 4,
    validation_metric: "+accuracy",
    cuda_device: -1,
  },
}
