//! Turret placeholder.
