"""The REST API, version 1 (``/api/v1/``): published claims out, articles in."""
