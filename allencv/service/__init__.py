"""
Serving a trained archive over HTTP: a JSON API and a web page (see tutorials/serving.md).
"""

from allencv.service.settings import ServiceSettings
from allencv.service.app import create_app
