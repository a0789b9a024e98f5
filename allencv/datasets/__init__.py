"""Built-in image datasets that need no download, written out as image folders."""
