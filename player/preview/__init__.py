"""Preview: the frame a display shows at any instant, drawn by the player's own renderer.

``source`` finds a display's published manifest and media (a scheduler's data
directory or its admin API), ``frames`` draws one instant, ``sheet`` a day's
contact sheet, ``clip`` a short video, ``window`` the officers' desktop window.
"""
