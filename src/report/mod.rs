//! Reporters: they render a Report and decide nothing.

pub mod clusters;
pub mod json;
pub mod junit;
pub mod list;
pub mod prometheus;
pub mod rotation;
pub mod table;
