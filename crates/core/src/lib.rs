//! Scan, probe and check media datasets.
