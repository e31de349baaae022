"""Tests of wikipost.render."""
