// A strong-augmentation recipe in the spirit of torchvision's "new training recipe": random
// resized crops, TrivialAugment, random erasing, mixup or cutmix on each batch, label smoothing,
// a linear warmup then cosine decay per batch, and an exponential moving average of the weights
// (EMA), on a torchvision backbone (ImageNet ResNet-50; any CNN of torchvision works).
//
//   TRAIN_PATH=data/PetImages/train VALIDATION_PATH=data/PetImages/val \
//   allennlp train training_config/strong_augmentation.jsonnet --include-package allencv -s runs/strong
//
// Random augmentation is redrawn every epoch: AllenCV's `torch` data loader caches nothing
// (allennlp's default loader would reuse the first epoch's augmentations), and it knows the epoch
// length for the schedule. Use `num_gradient_accumulation_steps` to reach a large effective batch
// on a small GPU.
local weights = "ResNet50_Weights.IMAGENET1K_V2";
local batch_size = 32;

{
  dataset_reader: {
    type: "image_classification_directory",
    transforms: [
      { type: "random_resized_crop", size: 176 },
      { type: "horizontal_flip" },
      { type: "trivial_augment_wide" },
      { type: "random_erasing", p: 0.1 },
      { type: "normalize", weights: weights },
    ],
  },
  validation_dataset_reader: {
    type: "image_classification_directory",
    transforms: [
      { type: "resize", weights: weights },
      { type: "center_crop", weights: weights },
      { type: "normalize", weights: weights },
    ],
  },
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "basic_image_classifier",
    im2im_encoder: { type: "torchvision", model_name: "resnet50", weights: "IMAGENET1K_V2" },
    im2vec_encoder: { type: "global_pool", input_channels: 2048, pooling: "avg" },
    label_smoothing: 0.1,
    batch_augmentation: {
      type: "random_choice",
      choices: [{ type: "mixup", alpha: 0.2 }, { type: "cutmix", alpha: 1.0 }],
    },
  },
  data_loader: { type: "torch", batch_size: batch_size, shuffle: true, num_workers: 2 },
  validation_data_loader: { batch_size: 64 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "sgd", lr: 0.05, momentum: 0.9, weight_decay: 0.00002, nesterov: true },
    learning_rate_scheduler: { type: "warmup_cosine", warmup_steps: 200 },
    num_gradient_accumulation_steps: 2,
    moving_average: { type: "exponential", decay: 0.999 },
    num_epochs: 30,
    validation_metric: "+accuracy",
  },
}
