"""Tests of the Points sandbox (points_sandbox/)."""
