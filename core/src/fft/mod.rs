//! Real FFT (placeholder: being written).
