//! The setters of [`LoadOptions`].
//!
//! They live apart from the struct in [`crate::load`] only to keep edits to that module
//! small while it changes for other reasons; rustdoc shows them with the struct.

use crate::load::LoadOptions;

impl LoadOptions {
    /// Sets [`LoadOptions::load_schema`].
    pub fn load_schema(mut self, load_schema: bool) -> Self {
        self.load_schema = load_schema;
        self
    }

    /// Sets [`LoadOptions::load_all_indices`].
    pub fn load_all_indices(mut self, load_all_indices: bool) -> Self {
        self.load_all_indices = load_all_indices;
        self
    }
}
