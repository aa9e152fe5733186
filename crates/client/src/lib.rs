//! HTTP clients for the platforms stimpack uploads datasets to.
