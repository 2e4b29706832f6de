"""Briefbot's offline language pipeline: detection, extraction, segmentation, summary, translation.

Importing this package must stay cheap: heavy libraries (ctranslate2, sumy, trafilatura, lingua)
are imported inside the modules that need them, and argostranslate's ``translate``/``sbd`` modules
(which pull in stanza and torch) are never imported at all.
"""
