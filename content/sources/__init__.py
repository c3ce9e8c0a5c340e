"""Live data sources: fetch village statistics (OpenSID, ...), validate them, keep snapshots.

Pure Python + requests: no Qt, no FastAPI. The scheduler stores the snapshots
(``scheduler/sources.py``) and runs due sources as background jobs; the player
draws the data slides natively (``player/render/dataslide*.py``).
"""
