"""Tests of the embedded archive (dicomnet.archive)."""
