"""Schedule semantics: rules -> concrete per-display timeline. Pure functions; the clock is passed in."""
