// Interop module
