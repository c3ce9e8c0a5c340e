"""Media ingest, normalisation, slides, content-addressed store and live-data sources.

Knows nothing about HTTP routes or Qt.
"""
