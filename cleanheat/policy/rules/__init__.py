"""One rules module per jurisdiction (``yanchi``, ``beijing``)."""
