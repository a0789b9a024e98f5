"""`python -m allencv.service model.tar.gz`: serve a trained archive (see `allencv/commands/serve.py`)."""

import logging

from allencv.commands.serve import main

if __name__ == "__main__":
    logging.basicConfig(
        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s", level=logging.INFO
    )
    main()
