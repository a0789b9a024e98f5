// Fine-tuning an ImageNet ResNet-50 (the seed's recipe) with ULMFiT-style discriminative
// fine-tuning and gradual unfreezing, as the original AllenCV did: `slanted_triangular` trains only
// the classification layer in the first epoch, then unfreezes one more parameter group per epoch,
// from the top; each group's learning rate is `decay_factor` times the one above it.
//
//   TRAIN_PATH=data/PetImages/train VALIDATION_PATH=data/PetImages/val \
//   allennlp train training_config/resnet_fine_tuning.jsonnet --include-package allencv -s runs/pets
//
// Preprocessing follows the weights (their resize, crop, mean and std). Offline, put the weights
// file (resnet50-11ad3fa6.pth) in $TORCH_HOME/hub/checkpoints.
local weights = "ResNet50_Weights.IMAGENET1K_V2";
local encoder = "_im2im_encoder\\.model\\.";

{
  dataset_reader: {
    type: "image_classification_directory",
    transforms: [
      { type: "random_resized_crop", size: 224 },
      { type: "horizontal_flip" },
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
    im2vec_encoder: { type: "global_pool", input_channels: 2048 },
    dropout: 0.2,
    label_smoothing: 0.1,
  },
  data_loader: { batch_size: 32, shuffle: true },
  validation_data_loader: { batch_size: 64 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: {
      type: "adamw",
      lr: 0.001,
      weight_decay: 0.01,
      // Bottom to top; every parameter must be in a group for slanted_triangular.
      parameter_groups: [
        [[encoder + "(conv1|bn1|layer1)\\."], {}],
        [[encoder + "layer2\\."], {}],
        [[encoder + "layer3\\."], {}],
        [[encoder + "layer4\\."], {}],
        [["_classification_layer\\."], {}],
      ],
    },
    learning_rate_scheduler: {
      type: "slanted_triangular",
      gradual_unfreezing: true,
      discriminative_fine_tuning: true,
      decay_factor: 0.38,
    },
    num_epochs: 6,
    validation_metric: "+accuracy",
  },
}
