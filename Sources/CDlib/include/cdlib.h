// placeholder header
